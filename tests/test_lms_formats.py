"""The LMS file formats, unit by unit: raw CSV editing, download names, grade rounding."""

import csv
import io
from decimal import Decimal

import pytest

from kit.lms import lms_grade
from kit.lms.csv_cells import RawCsv, sniff_delimiter
from kit.lms.downloads import canvas_file, moodle_student, open_download

MOODLE_WORKSHEET = (
    'Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
    '"Last modified (submission)","Last modified (grade)","Feedback comments"\n'
    '"Participant 101","José Núñez",jose@example.org,"Submitted for grading",,100.00,Yes,'
    '"Friday, 20 November 2026, 9:14 AM",-,\n'
    '"Participant 102","Ann ""Annie"" Lee",ann@example.org,"No submission",,100.00,Yes,-,-,"line one\nline two"\n'
)


@pytest.mark.parametrize("text", [
    MOODLE_WORKSHEET,
    MOODLE_WORKSHEET.replace("\n", "\r\n"),
    'a;b;"c;d"\r\n1;;"x""y"\r\n',
    '"all","quoted"\n"1","2"',
])
def test_raw_csv_round_trips_byte_for_byte_and_reads_as_csv_does(text):
    delimiter = sniff_delimiter(text.splitlines()[0])
    table = RawCsv.parse(text, delimiter)
    assert table.text() == text
    expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert [table.values(row) for row in range(len(table.rows))] == expected


def test_set_quotes_like_php_fputcsv_and_changes_nothing_else():
    table = RawCsv.parse(MOODLE_WORKSHEET)
    table.set(1, 4, "89.81")
    table.set(1, 9, 'Lost points in: 2.4 "shape", see file')
    lines = table.text().split("\n")
    original = MOODLE_WORKSHEET.split("\n")
    assert lines[0] == original[0] and lines[2:] == original[2:]
    assert lines[1] == original[1].replace(",,100.00", ",89.81,100.00").rstrip(",") + \
        ',"Lost points in: 2.4 ""shape"", see file"'
    quoted = RawCsv.parse('"a","b"\n"1",""\n')
    quoted.set(1, 1, "7")
    assert quoted.text() == '"a","b"\n"1","7"\n'


@pytest.mark.parametrize("name, key, student", [
    ("José Núñez_101_assignsubmission_file_", "101", "José Núñez"),
    ("José Núñez_101_assignsubmission_file", "101", "José Núñez"),  # Moodle 4.1+ drops the final _
    ("Participant_7714_assignsubmission_file_", "7714", "Participant"),  # blind marking
    ("Team Red_55_assignsubmission_file_", "55", "Team Red"),
])
def test_moodle_folder_names(name, key, student):
    parsed = moodle_student(name)
    assert (parsed.lms, parsed.key, parsed.name, parsed.folder) == ("moodle", key, student, name)


def test_not_moodle_folder_names():
    assert moodle_student("ana") is None and moodle_student("ana_12") is None


@pytest.mark.parametrize("name, key, student, original", [
    ("núñezjosé_1001_5001_training_jose.py", "1001", "núñezjosé", "training_jose.py"),
    ("leeann_LATE_1002_5002_my_cnn_system_ann.py", "1002", "leeann", "my_cnn_system_ann.py"),
    ("o_brienpat_1003_5003_a_1_2.py", "1003", "o_brienpat", "a_1_2.py"),
    ("anon_Xy12z_5004_dataset_class_x.py", "anon_Xy12z", "", "dataset_class_x.py"),
])
def test_canvas_file_names(name, key, student, original):
    parsed, file_name = canvas_file(name)
    assert (parsed.lms, parsed.key, parsed.name, file_name) == ("canvas", key, student, original)
    assert name == f"{parsed.folder}_{name[len(parsed.folder) + 1:]}"


def test_lms_grade_scales_and_rounds_half_up():
    assert lms_grade(48.5, 54, 100) == Decimal("89.81")
    assert lms_grade(1, 8, 100) == Decimal("12.50")
    assert lms_grade(0.125, 1, 1) == Decimal("0.13")  # half up, not to even
    assert lms_grade(54, 54, 20) == Decimal("20.00")
    assert lms_grade(3, 0, 100) == Decimal("0.00")


def _tree(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_folder_of_one_student_is_that_student_not_a_wrapper(tmp_path):
    download = open_download(_tree(tmp_path / "subs", {"ana/training_ana.py": "", "ana/my_cnn_system_ana.py": ""}),
                             tmp_path / "unpacked")
    assert [e.name for e in download.entries()] == ["ana"] and download.lms == ""


def test_a_wrapped_moodle_download_is_unwrapped_and_its_text_folders_ignored(tmp_path):
    root = _tree(tmp_path / "subs", {
        "course-lab-1/Ann Lee_7_assignsubmission_file_/training_ann.py": "",
        "course-lab-1/Ann Lee_7_assignsubmission_onlinetext_/onlinetext.html": "",
        "course-lab-1/Bo Li_8_assignsubmission_file/training_bo.py": "",
    })
    download = open_download(root, tmp_path / "unpacked")
    assert download.lms == "moodle"
    assert [e.name for e in download.entries()] == ["Ann Lee_7_assignsubmission_file_", "Bo Li_8_assignsubmission_file"]
    assert sorted(s.key for s in download.students.values()) == ["7", "8"]


@pytest.mark.parametrize("files, lms, folders", [
    ({"Ann Lee_7_assignsubmission_file_training_ann.py": "", "Ann Lee_7_assignsubmission_file_my_cnn_system_ann.py": ""},
     "moodle", {"Ann Lee_7_assignsubmission_file_": ["my_cnn_system_ann.py", "training_ann.py"]}),
    ({"leeann_LATE_7_91_training_ann.py": "", "leeann_LATE_7_92_my_cnn_system_ann.py": "", "libo_8_93_training_bo.py": ""},
     "canvas", {"leeann_LATE_7": ["my_cnn_system_ann.py", "training_ann.py"], "libo_8": ["training_bo.py"]}),
])
def test_flat_downloads_become_a_folder_per_student(tmp_path, files, lms, folders):
    download = open_download(_tree(tmp_path / "subs", files), tmp_path / "unpacked")
    assert download.lms == lms
    assert {e.name: sorted(p.name for p in e.iterdir()) for e in download.entries()} == folders
