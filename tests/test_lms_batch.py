"""The TA's loop through an LMS, end to end: a Moodle download (zip) and worksheet, and a Canvas
download and gradebook export, graded by `python -m kit grade` (ex01: the quickest assignment to
grade; the LMS plumbing is the same for every assignment), then a regrade after one change.
"""

import csv
import io
import json
import subprocess
import sys
import zipfile

import pytest

from kit.grading.config import REPO, load_config
from kit.grading.results import max_total
from kit.lms import lms_grade

pytestmark = pytest.mark.slow

ASSIGNMENT = "ex01_features"
GOOD = (REPO / "solutions" / ASSIGNMENT / "feature_extraction_student.py").read_bytes()
FLAWED = (REPO / "autograder" / "examples" / ASSIGNMENT / "no_log" / "feature_extraction_emma.py").read_bytes()

# Folder names as Moodle writes them: 3.x keeps the final "_", 4.1+ drops it; blind marking says "Participant".
MOODLE_FOLDERS = {
    "José Núñez_101_assignsubmission_file_": ("feature_extraction_jose.py", GOOD),
    "Participant_7714_assignsubmission_file": ("feature_extraction_anon.py", GOOD),
    "Emma Berg_103_assignsubmission_file_": ("feature_extraction_emma.py", FLAWED),
}
WORKSHEET = (
    'Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
    '"Last modified (submission)","Last modified (grade)","Feedback comments"\n'
    '"Participant 101","José Núñez",jose@example.org,"Submitted for grading",,100.00,Yes,'
    '"Friday, 20 November 2026, 9:14 AM",-,\n'
    '"Participant 102","Ann Lee",ann@example.org,"No submission",,100.00,Yes,-,-,\n'
    '"Participant 103","Emma Berg",emma@example.org,"Submitted for grading",,100.00,Yes,'
    '"Friday, 20 November 2026, 11:02 PM",-,\n'
    '"Participant 7714","Mika Virtanen",mika@example.org,"Submitted for grading",,100.00,Yes,'
    '"Saturday, 21 November 2026, 8:00 AM",-,\n'
)


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def _moodle_zip(path, folders):
    return _zip(path, {f"{folder}/{name}": content for folder, (name, content) in folders.items()})


def grade(*args):
    process = subprocess.run([sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--jobs", "2", *args],
                             capture_output=True, text=True, cwd=REPO)
    assert process.returncode == 0, process.stderr[-3000:]
    return process


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    root = tmp_path_factory.mktemp("moodle")
    download = _moodle_zip(root / "CS101-Lab 1 features-1234.zip", MOODLE_FOLDERS)
    worksheet = root / "Grades-CS101-Lab 1 features-1234.csv"
    worksheet.write_bytes(WORKSHEET.encode("utf-8"))
    process = grade("--submissions", str(download), "--worksheet", str(worksheet), "--out", str(root / "out"))
    return root, root / "out" / ASSIGNMENT, process


def _results(out, ident):
    return json.loads((out / ident / "results.json").read_text())


def test_moodle_worksheet_is_filled_cell_by_cell(moodle):
    root, out, process = moodle
    before = list(csv.reader(io.StringIO(WORKSHEET)))
    written = (out / "moodle_grading_worksheet.csv").read_bytes()
    after = list(csv.reader(io.StringIO(written.decode("utf-8"))))
    idents = {"101": "jose_nunez_101", "103": "emma_berg_103", "7714": "participant_7714"}
    header = before[0]
    assert after[0] == header and len(after) == len(before)
    grade_at, feedback_at = header.index("Grade"), header.index("Feedback comments")
    for old, new in zip(before[1:], after[1:]):
        participant = old[0].split()[-1]
        for column, (old_cell, new_cell) in enumerate(zip(old, new)):
            if participant in idents and column == grade_at:
                document = _results(out, idents[participant])
                assert new_cell == f"{lms_grade(document['score'], max_total(document), 100):.2f}"
            elif participant in idents and column == feedback_at:
                assert new_cell.startswith(f"{_results(out, idents[participant])['score']:g}/")
            else:
                assert new_cell == old_cell, (participant, header[column])
    grades = {row[0]: float(row[grade_at]) for row in after[1:] if row[grade_at]}
    assert grades["Participant 101"] == grades["Participant 7714"] == 100.0
    assert grades["Participant 103"] < 100.0  # forgot the log: loses points, named in the comment
    emma = next(row for row in after if row[0] == "Participant 103")
    assert "Points lost in:" in emma[feedback_at]
    assert after[2][grade_at] == ""  # Ann Lee: no submission, grade left empty
    # Byte for byte: the untouched rows are the downloaded lines themselves, quoting included.
    assert written.decode().split("\n")[0] == WORKSHEET.split("\n")[0]
    assert written.decode().split("\n")[2] == WORKSHEET.split("\n")[2]
    assert "Participant 102 (Ann Lee)" in process.stderr
    assert "Participant 102 (Ann Lee)" in (out / "report.md").read_text()
    assert "Participant 102 (Ann Lee)" in (out / "report.html").read_text()


def test_moodle_feedback_zip_has_a_folder_per_student_named_as_in_the_download(moodle):
    _, out, _ = moodle
    with zipfile.ZipFile(out / "moodle_feedback_files.zip") as archive:
        names = archive.namelist()
        folders = {name.split("/")[0] for name in names}
        assert folders == set(MOODLE_FOLDERS)
        for folder in folders:
            page = archive.read(f"{folder}/feedback.html").decode()
            assert "Score:" in page and "<html" in page


def test_worksheet_with_another_maximum_grade_is_refused_with_what_to_do(moodle, tmp_path):
    root, _, _ = moodle
    worksheet = tmp_path / "Grades.csv"
    worksheet.write_text(WORKSHEET.replace("100.00", "10.00"))
    process = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--submissions",
         str(root / "CS101-Lab 1 features-1234.zip"), "--worksheet", str(worksheet), "--out", str(root / "out")],
        capture_output=True, text=True, cwd=REPO)
    assert process.returncode != 0
    assert "maximum grade is 10.00" in process.stderr and "max_grade" in process.stderr


def test_regrade_reports_exactly_the_student_whose_submission_changed(moodle):
    root, out, _ = moodle
    fixed = dict(MOODLE_FOLDERS)
    fixed["Emma Berg_103_assignsubmission_file_"] = ("feature_extraction_emma.py", GOOD)
    download = _moodle_zip(root / "regrade.zip", fixed)
    process = grade("--submissions", str(download), "--out", str(root / "out"), "--force")
    changed = [line for line in process.stderr.splitlines() if "changed by the regrade" in line]
    assert len(changed) == 1 and "emma_berg_103" in changed[0], process.stderr[-2000:]
    report = (out / "report.md").read_text()
    section = report.split("## Changed by the last regrade (1)\n\n")[1].split("\n\n")[0]
    assert "emma_berg_103" in section and "jose_nunez_101" not in section and "participant_7714" not in section
    assert "emma_berg_103" in (out / "report.html").read_text().split("Changed by the last regrade")[1].split("</ul>")[0]
    assert len(list((out / "emma_berg_103" / "history").glob("results-*.json"))) == 1


CANVAS_FILES = {
    "núñezjosé_1001_5001_feature_extraction_jose.py": GOOD,
    "leeann_LATE_1002_5002_feature_extraction_ann.py": GOOD,
    "bergemma_1003_5003_feature_extraction_emma.py": FLAWED,
}
GRADEBOOK = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Lab 1: features (4711),Lab 0 (4700),Current Score\n"
    "    Points Possible,,,,,10.00,5.00,(read only)\n"
    '"Núñez, José",1001,S1001,jnunez,CS101 A,,5.00,\n'
    '"Lee, Ann",1002,S1002,alee,CS101 B,,4.00,\n'
    '"Berg, Emma",1003,S1003,eberg,CS101 A,,3.00,\n'
    '"Virtanen, Mika",1004,S1004,mvirta,CS101 B,,5.00,\n'
)


def test_canvas_download_and_gradebook(tmp_path):
    download = _zip(tmp_path / "submissions.zip", CANVAS_FILES)
    export = tmp_path / "2026-11-22T1000_Grades-CS101.csv"
    export.write_text(GRADEBOOK, encoding="utf-8")
    grade("--submissions", str(download), "--canvas-gradebook", str(export),
          "--canvas-assignment", "Lab 1: features", "--out", str(tmp_path / "out"))
    out = tmp_path / "out" / ASSIGNMENT
    rows = list(csv.reader(io.StringIO((out / "canvas_gradebook.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 1: features (4711)"]
    assert rows[1] == ["Points Possible", "", "", "", "", f"{load_config(ASSIGNMENT).max_grade:.2f}"]
    by_id = {row[1]: row for row in rows[2:]}
    assert sorted(by_id) == ["1001", "1002", "1003"]  # Mika did not submit: not in the import
    assert by_id["1001"][:5] == ["Núñez, José", "1001", "S1001", "jnunez", "CS101 A"]
    assert by_id["1002"][:5] == ["Lee, Ann", "1002", "S1002", "alee", "CS101 B"]
    idents = {"1001": "núñezjosé_1001", "1002": "leeann_late_1002", "1003": "bergemma_1003"}
    for key, row in by_id.items():
        ident = next(p.name for p in out.iterdir() if p.name.endswith(f"_{key}"))
        document = _results(out, ident)
        assert row[5] == f"{lms_grade(document['score'], max_total(document), 100):.2f}", idents[key]
    assert float(by_id["1001"][5]) == 100.0 and float(by_id["1003"][5]) < 100.0
