"""A whole class as Moodle hands it over (kit/validate/classroom.py): examples, variants, hostile
code and odd uploads, graded from the download and worksheet with JOBS=2. Every student gets a
row and what they deserve, nobody gains points from hostile input, and nothing outside the output
folder is written. ex01: seconds a student. The endless import is left out here (it costs each of
its probes the full time limit, 4.5 minutes a student); `make class` includes it.
"""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kit.grading.config import REPO, load_config
from kit.validate import classroom

pytestmark = pytest.mark.slow
ASSIGNMENT = "ex01_features"
QUICK_HOSTILE = [name for name in classroom.HOSTILE if name != "endless_import"]
OUTSIDE = [Path("/PWNED"), Path("/etc/PWNED"), Path("/root/PWNED"), REPO / "PWNED"]


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=REPO, capture_output=True,
                          text=True).stdout


def test_the_generator_is_byte_identical_for_a_seed(tmp_path):
    config = load_config(ASSIGNMENT)
    classroom.build(config, 20, tmp_path / "a", seed=3)
    classroom.build(config, 20, tmp_path / "b", seed=3)
    for name in ("CS101-ex01_features-20.zip", "Grades-CS101-ex01_features-20.csv", "class.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    students = json.loads((tmp_path / "a" / "class.json").read_text())
    kinds = [student["kind"].split(":")[0] for student in students.values()]
    assert len(students) == 20 and kinds.count("intake") == len(classroom.INTAKE_CASES)
    assert kinds.count("hostile") == len(classroom.HOSTILE)


def test_a_class_is_graded_from_its_moodle_download_with_a_row_and_its_due_for_everyone(tmp_path):
    config = load_config(ASSIGNMENT)
    students = classroom.build(config, 22, tmp_path / "class", hostile=QUICK_HOSTILE)
    before = _git_status()
    stem = "CS101-ex01_features-22"
    done = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--jobs", "2",
         "--submissions", str(tmp_path / "class" / f"{stem}.zip"),
         "--worksheet", str(tmp_path / "class" / f"Grades-{stem}.csv"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=REPO, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out" / ASSIGNMENT
    full = json.loads((REPO / "autograder/examples" / ASSIGNMENT / "reference/expected.json").read_text())["total"]
    assert classroom.check(out, students, full) == []
    sheet = list(csv.reader(io.StringIO((out / "moodle_grading_worksheet.csv").read_text())))
    graded = {row[0] for row in sheet[1:] if row[4]}
    assert graded == {f"Participant {s.participant}" for s in students.values()}
    symlinked = next(s for s in students.values() if s.kind == "intake:symlinks")
    staged = out / classroom.submission_id(symlinked.folder) / "files"
    assert not (staged / "secret_link.py").exists(), "a symlink was followed"
    assert not any(path.exists() for path in OUTSIDE) and _git_status() == before
