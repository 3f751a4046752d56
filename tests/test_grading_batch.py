"""A killed batch loses nothing already graded, and a rerun finishes the rest."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kit.grading.config import REPO

pytestmark = pytest.mark.slow


def _sheet(out):
    """The submissions grades.csv lists (none while it does not exist)."""
    try:
        with open(out / "ex02_cnn" / "grades.csv", newline="") as handle:
            return sorted(row["submission"] for row in csv.DictReader(handle))
    except FileNotFoundError:
        return []


def test_killed_batch_keeps_results_and_rerun_completes(tmp_path):
    submissions = tmp_path / "submissions"
    for student in ("ana", "ben", "cleo"):
        folder = submissions / f"{student.title()} X_1{len(student)}_assignsubmission_file_"
        folder.mkdir(parents=True)
        for name in ("dataset_class_student.py", "my_cnn_system_student.py", "training_student.py"):
            shutil.copy(REPO / "assignments" / "ex02_cnn" / name, folder / name.replace("student", student))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kit", "grade", "--assignment", "ex02_cnn", "--submissions", str(submissions),
               "--out", str(out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 600
    while not _sheet(out) and time.monotonic() < deadline:  # one submission graded and in the sheet
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    graded = sorted(p.parent.name for p in out.glob("ex02_cnn/*/results.json"))
    assert 1 <= len(graded) < 3
    for name in graded:
        json.loads((out / "ex02_cnn" / name / "results.json").read_text())  # complete, valid JSON
    # The sheet is rebuilt from the results on disk after each submission: it never names one
    # without complete results; one whose results landed in the instant before the kill may
    # not be in it yet (no order of two file writes survives a SIGKILL between them).
    listed = _sheet(out)
    assert listed and set(listed) <= set(graded) and len(graded) - len(listed) <= 1, (listed, graded)

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"skipping {len(graded)} already graded" in rerun.stderr
    with open(out / "ex02_cnn" / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["submission"] for row in rows) == ["ana_x_13", "ben_x_13", "cleo_x_14"]
    assert all(float(row["total"]) == 0 for row in rows)


def test_a_pytest_plugin_installed_beside_the_kit_does_not_load_in_the_scoring_process(tmp_path):
    """Installed pytest plugins load themselves into every pytest run; the graders' run takes
    only the kit's own (a rerun-failures or random-order plugin would change grades)."""
    site = tmp_path / "site"
    (site / "planted_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "planted_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: planted-plugin\nVersion: 1.0\n")
    (site / "planted_plugin-1.0.dist-info" / "entry_points.txt").write_text("[pytest11]\nplanted = planted_plugin\n")
    marker = tmp_path / "loaded"
    (site / "planted_plugin.py").write_text(
        "import os, pathlib\n\ndef pytest_configure(config):\n"
        "    pathlib.Path(os.environ['PLANTED_MARKER']).write_text('loaded')\n")
    env = dict(os.environ, PYTHONPATH=str(site), PLANTED_MARKER=str(marker))
    # The plant works: a plain pytest run in this environment loads it.
    (tmp_path / "empty").mkdir()
    subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "empty"], cwd=tmp_path, env=env,
                   capture_output=True)
    assert marker.is_file(), "the planted plugin did not load in a plain pytest run: the test proves nothing"
    marker.unlink()
    process = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", "ex02_cnn", "--submission",
         str(REPO / "assignments" / "ex02_cnn"),
         "--results-json", str(tmp_path / "results.json")], cwd=REPO, env=env, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr[-2000:]
    assert json.loads((tmp_path / "results.json").read_text())["tests"]
    assert not marker.exists(), "a pytest plugin installed beside the kit ran in the scoring process"
