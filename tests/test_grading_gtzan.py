"""The TA's path: `make grade SUBMISSIONS=... DATASET=gtzan DATA_DIR=...` on a GTZAN-shaped copy."""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from kit.data.manifest import load_manifest
from kit.data.synthetic import write_synthetic_gtzan
from kit.grading.config import REPO

pytestmark = pytest.mark.slow


def test_grades_a_moodle_folder_on_a_gtzan_copy(tmp_path):
    data = tmp_path / "music_speech"
    write_synthetic_gtzan(data)
    submissions = tmp_path / "submissions"
    student = submissions / "Ada Lovelace_1815_assignsubmission_file_"
    student.mkdir(parents=True)
    for name in ("dataset_class_student.py", "my_cnn_system_student.py", "training_student.py"):
        shutil.copy(REPO / "assignments" / "ex02_cnn" / name, student / name.replace("student", "ada"))
    out, cache = tmp_path / "grades", tmp_path / "cache"
    process = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", "ex02_cnn", "--dataset", "gtzan", "--data-dir", str(data),
         "--submissions", str(submissions), "--out", str(out), "--cache-dir", str(cache)],
        cwd=REPO, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads((out / "ex02_cnn" / "ada_lovelace_1815" / "results.json").read_text())
    # Every grader ran (the same tests as the reference's golden) and the skeleton earned nothing.
    reference = json.loads((REPO / "autograder" / "examples" / "ex02_cnn" / "reference" / "expected.json").read_text())
    assert results["score"] == 0 and {t["number"] for t in results["tests"]} == set(reference["tests"])
    with open(out / "ex02_cnn" / "grades.csv", newline="") as handle:
        assert [row["submission"] for row in csv.DictReader(handle)] == ["ada_lovelace_1815"]
    # The sandbox saw GTZAN's holdout split, unlabelled (students hold the test split).
    manifest = load_manifest(REPO / "data_manifests" / "gtzan_music_speech.json")
    (view,) = (cache / "views").iterdir()
    labels = json.loads((view / "heldout_labels.json").read_text())
    assert len(labels) == len(manifest.split("holdout"))
    assert not list((view / "public").rglob("*music*")) and not list((view / "public" / "holdout").glob("*.wav"))
    assert not (view / "public" / "testing").exists()
