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


def test_killed_batch_keeps_results_and_rerun_completes(tmp_path):
    submissions = tmp_path / "submissions"
    for student in ("ana", "ben", "cleo"):
        folder = submissions / f"{student.title()} X_1{len(student)}_assignsubmission_file_"
        folder.mkdir(parents=True)
        for name in ("dataset_class_student.py", "my_cnn_system_student.py", "training_student.py"):
            shutil.copy(REPO / "assignments" / "ex02_cnn" / name, folder / name.replace("student", student))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kit", "grade", "--submissions", str(submissions), "--out", str(out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 600
    while not list(out.glob("ex02_cnn/*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    graded = sorted(p.parent.name for p in out.glob("ex02_cnn/*/results.json"))
    assert 1 <= len(graded) < 3
    for name in graded:
        json.loads((out / "ex02_cnn" / name / "results.json").read_text())  # complete, valid JSON
    with open(out / "ex02_cnn" / "grades.csv", newline="") as handle:
        assert sorted(row["submission"] for row in csv.DictReader(handle)) == graded

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"skipping {len(graded)} already graded" in rerun.stderr
    with open(out / "ex02_cnn" / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["submission"] for row in rows) == ["ana_x_13", "ben_x_13", "cleo_x_14"]
    assert all(float(row["total"]) == 0 for row in rows)
