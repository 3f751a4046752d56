"""The TA's loop through an LMS, end to end: a Moodle download (zip) and worksheet, and a Canvas
download and gradebook export, graded by `python -m kit grade` (ex01: the quickest assignment to
grade; the LMS plumbing is the same for every assignment), then a regrade after one change.
"""

import csv
import io
import json
import shutil
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


def _grade_again(root, out_name, *args):
    """Publish the fixture's graded batch again into a copy of its output (nothing is regraded)."""
    shutil.copytree(root / "out", root / out_name, dirs_exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--jobs", "2", "--submissions",
         str(root / "CS101-Lab 1 features-1234.zip"), "--out", str(root / out_name), *args],
        capture_output=True, text=True, cwd=REPO)


def test_the_worksheet_maximum_grade_is_the_grade_scale(moodle, tmp_path):
    root, _, _ = moodle
    worksheet = tmp_path / "Grades.csv"
    worksheet.write_text(WORKSHEET.replace("100.00", "10.00"))
    process = _grade_again(root, "out-scale10", "--worksheet", str(worksheet))
    assert process.returncode == 0, process.stderr[-3000:]
    assert "grade scale: the worksheet's maximum grade, 10 (not config.toml's max_grade 100)" in process.stderr
    out = root / "out-scale10" / ASSIGNMENT
    rows = list(csv.reader(io.StringIO((out / "moodle_grading_worksheet.csv").read_text())))
    grades = {row[0]: row[4] for row in rows[1:]}
    emma = _results(out, "emma_berg_103")
    assert grades["Participant 101"] == "10.00"
    assert grades["Participant 103"] == f"{lms_grade(emma['score'], max_total(emma), 10):.2f}" != "10.00"
    assert "x 10, rounded" in (out / "report.md").read_text()
    assert "/ 10)" in (out / "emma_berg_103" / "feedback.html").read_text()


def test_a_worksheet_whose_rows_disagree_on_the_maximum_is_refused_before_grading(moodle, tmp_path):
    root, _, _ = moodle
    worksheet = tmp_path / "Grades.csv"
    worksheet.write_text(WORKSHEET.replace("100.00", "10.00", 1))
    process = _grade_again(root, "out-mixed", "--worksheet", str(worksheet))
    assert process.returncode != 0
    message = " ".join(process.stderr.split())
    assert "disagree on the maximum grade (10.00 for Participant 101, 100.00 for Participant 102)" in message
    assert "grading" not in process.stderr.split("disagree")[0]


ADJUSTMENTS = (
    "student,test,change,reason\n"
    "emma_berg_103,2.2,+1.5,\"regrade request: the log is taken in compute_features(), line 41\"\n"
    "participant_7714,total,-10%,late by two days\n"
)


def test_ta_adjustments_reach_feedback_sheet_report_and_moodle_and_survive_a_regrade(moodle, tmp_path):
    root, _, _ = moodle
    adjustments = tmp_path / "adjustments.csv"
    adjustments.write_text(ADJUSTMENTS)
    worksheet = root / "Grades-CS101-Lab 1 features-1234.csv"
    process = _grade_again(root, "out-adjusted", "--adjustments", str(adjustments), "--worksheet", str(worksheet))
    assert process.returncode == 0, process.stderr[-3000:]
    assert "2 adjustment(s) from" in process.stderr
    out = root / "out-adjusted" / ASSIGNMENT
    emma, anon = _results(out, "emma_berg_103"), _results(out, "participant_7714")
    assert emma["score"] == 23 and anon["score"] == 26, "results.json stays what the autograder measured"

    def check():
        with open(out / "grades.csv", newline="") as handle:
            rows = {row["submission"]: row for row in csv.DictReader(handle)}
        assert float(rows["emma_berg_103"]["total"]) == 24.5 and float(rows["participant_7714"]["total"]) == 23.4
        assert float(rows["jose_nunez_101"]["total"]) == 26 and rows["jose_nunez_101"]["adjustments"] == ""
        assert rows["emma_berg_103"]["adjustments"] == (
            "test 2.2: 0 -> 1.5 (+1.5): regrade request: the log is taken in compute_features(), line 41")
        feedback = (out / "emma_berg_103" / "feedback.md").read_text()
        assert "**Score: 24.5 / 26**" in feedback and "- test 2.2: 0 -> 1.5 (+1.5): regrade request" in feedback
        assert "Adjusted by your TA: 0 -> 1.5 (+1.5)" in feedback.split("## 2.2")[1].split("## 2.3")[0]
        page = (out / "participant_7714" / "feedback.html").read_text()
        assert "total: 26 -&gt; 23.4 (-10%): late by two days" in page and "Score: 23.4 / 26" in page
        report = (out / "report.md").read_text()
        assert "## Adjustments by the TA (2)" in report and "- participant_7714: total: 26 -> 23.4" in report
        assert "participant_7714: total: 26 -&gt; 23.4" in (out / "report.html").read_text()
        sheet = {row[0]: row for row in csv.reader(io.StringIO((out / "moodle_grading_worksheet.csv").read_text()))}
        assert sheet["Participant 7714"][4] == "90.00" and sheet["Participant 103"][4] == f"{24.5 / 26 * 100:.2f}"
        assert "Adjusted by your TA: total: 26 -> 23.4 (-10%): late by two days" in sheet["Participant 7714"][9]

    check()
    regrade = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--jobs", "2", "--force", "--submissions",
         str(root / "CS101-Lab 1 features-1234.zip"), "--out", str(root / "out-adjusted"),
         "--adjustments", str(adjustments), "--worksheet", str(worksheet)], capture_output=True, text=True, cwd=REPO)
    assert regrade.returncode == 0, regrade.stderr[-3000:]
    assert "changed by the regrade" not in regrade.stderr  # the adjustments are not a change of the grading
    check()


@pytest.mark.parametrize("line, message", [
    ("emma_berg_13,2.2,+1,typo in the name", "no submission named 'emma_berg_13' (did you mean emma_berg_103?)"),
    ("emma_berg_103,9.9,+1,no such test", "ex01_features has no test '9.9'"),
    ("emma_berg_103,2.2,plus one,not a number", "change 'plus one' is neither points"),
])
def test_an_adjustment_naming_an_unknown_student_or_test_stops_the_run_before_grading(moodle, tmp_path, line, message):
    root, _, _ = moodle
    adjustments = tmp_path / "adjustments.csv"
    adjustments.write_text("student,test,change,reason\n" + line + "\n")
    process = _grade_again(root, "out-bad-adjustment", "--adjustments", str(adjustments), "--force")
    assert process.returncode != 0
    assert f"{adjustments}, line 2: {message}" in " ".join(process.stderr.split()), process.stderr[-2000:]
    assert "grading 3 submission(s)" not in process.stderr


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


def test_a_second_section_graded_into_the_same_folder_gets_its_own_sheet_report_and_lms_files(moodle):
    """grades.csv, the report and the LMS files describe the run's SUBMISSIONS; the first section's
    results stay on disk and the report says where."""
    root, _, _ = moodle
    shutil.copytree(root / "out", root / "out-sections", dirs_exist_ok=True)
    section_b = _moodle_zip(root / "CS101-Lab 1 features-section-B.zip",
                            {"Lena Koch_205_assignsubmission_file_": ("feature_extraction_lena.py", GOOD)})
    process = grade("--submissions", str(section_b), "--out", str(root / "out-sections"))
    out = root / "out-sections" / ASSIGNMENT
    with open(out / "grades.csv", newline="") as handle:
        assert [row["submission"] for row in csv.DictReader(handle)] == ["lena_koch_205"]
    report = " ".join((out / "report.md").read_text().split())
    assert "1 submissions graded" in report
    assert f"3 other graded submission(s) from earlier runs stay in {out}" in report
    rows = list(csv.reader(io.StringIO((out / "moodle_grading_worksheet.csv").read_text())))
    assert [row[0] for row in rows[1:]] == ["Participant 205"]
    with zipfile.ZipFile(out / "moodle_feedback_files.zip") as archive:
        assert {name.split("/")[0] for name in archive.namelist()} == {"Lena Koch_205_assignsubmission_file_"}
    assert (out / "emma_berg_103" / "results.json").is_file(), process.stderr[-2000:]
