"""``make grade EXECUTOR=slurm`` against a real one-node Slurm cluster (tests/slurm_cluster.py).

The cluster runs without accounting storage, as many small ones do: the kit must follow its
jobs with squeue, say so once, notice a job that vanished, report a job Slurm killed with the
end of its log, and survive its own ``kill -9`` without losing or doubling a grade. The
batches are ex01's (a few seconds per submission), so that the Slurm machinery, not grading,
is what these tests spend their time on. Skipped, with the reason, where no cluster can be
started (not root, no apt).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import slurm_cluster
from submission_helpers import reference_with_prelude
from kit.grading.config import REPO, load_config
from kit.grading.examples import example_sources
from kit.grading.goldens import comparable, expected_from_results

pytestmark = pytest.mark.slow
ASSIGNMENT = "ex01_features"
EXAMPLES = REPO / "autograder" / "examples" / ASSIGNMENT


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = slurm_cluster.unavailable()
    if reason:
        pytest.skip(f"no Slurm cluster here: {reason}")
    cluster = slurm_cluster.start(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


def submissions(folder: Path, names: list[str], edits: dict[str, str] | None = None) -> Path:
    """A folder of the named examples' files (``edits``: name -> code put before a copy of the reference)."""
    sources = dict(example_sources(load_config(ASSIGNMENT)))
    folder.mkdir(parents=True)
    for name in names:
        shutil.copytree(sources[name], folder / name, ignore=shutil.ignore_patterns("*.md", "*.json", "*.toml"))
    for name, prelude in (edits or {}).items():
        reference_with_prelude(folder / name, prelude, ASSIGNMENT)
    return folder


def command(cluster, subs: Path, out: Path, *extra: str) -> tuple[list[str], dict]:
    args = [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--submissions", str(subs),
            "--out", str(out), "--executor", "slurm", "--slurm-mem-gb", "2", *extra]
    return args, dict(os.environ, **cluster.env)


def grade(cluster, subs: Path, out: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    args, env = command(cluster, subs, out, *extra)
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def golden(name: str) -> dict:
    return json.loads((EXAMPLES / name / "expected.json").read_text())


def assert_golden(folder: Path, name: str) -> None:
    got = expected_from_results(json.loads((folder / "results.json").read_text()))
    expected = golden(name)
    assert (got["total"], got["tests"]) == (expected["total"], expected["tests"]), name
    assert comparable(got["feedback"]) == comparable(expected["feedback"]), name


def test_a_batch_grades_to_its_goldens_and_says_once_that_accounting_is_off(slurm, tmp_path):
    names = ["reference", "no_log", "skeleton", "transposed"]
    done = grade(slurm, submissions(tmp_path / "subs", names), tmp_path / "out", "--jobs", "2", "--slurm-cpus", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    for name in names:
        assert_golden(tmp_path / "out" / ASSIGNMENT / name, name)
    console = " ".join(done.stderr.split())  # rich wraps long lines
    assert console.count("sacct") == 1 and "Bypassing" not in console, done.stderr
    assert "Slurm accounting is off" in console
    assert not (tmp_path / "out" / ASSIGNMENT / "_jobs" / "queued.json").read_text().strip("{}\n ")


def test_a_cancelled_job_is_a_grader_error_naming_the_student_and_is_graded_on_the_rerun(slurm, tmp_path):
    """One job at a time on the node (2 cores each): the pending one is cancelled. Before the kit
    followed jobs with squeue, the batch waited for it for ever (submitit's sacct watcher)."""
    subs = submissions(tmp_path / "subs", ["reference", "no_log"])
    out = tmp_path / "out"
    args, env = command(slurm, subs, out, "--jobs", "2", "--slurm-cpus", "2")
    coordinator = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, cancelled = time.monotonic() + 120, None
    while cancelled is None and time.monotonic() < deadline:
        pending = [line.split()[0] for line in slurm.run("squeue", "-h", "-o", "%i %T").stdout.splitlines()
                   if line.split()[1] == "PENDING"]
        if pending:
            slurm.run("scancel", pending[0])
            cancelled = pending[0]
        time.sleep(0.1)
    assert cancelled, "no job was ever pending"
    try:
        _, stderr = coordinator.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        coordinator.kill()
        pytest.fail("make grade still waited for the cancelled job 3 minutes later")
    lost = [name for name in ("reference", "no_log") if not (out / ASSIGNMENT / name / "results.json").exists()]
    assert len(lost) == 1 and coordinator.returncode == 1, stderr
    console = " ".join(stderr.split())
    assert f"{lost[0]}: error (Slurm job {cancelled} " in console and "cancelled" in console, stderr
    log = (out / ASSIGNMENT / lost[0] / "grader-error.log").read_text()
    assert f"Slurm job {cancelled}" in log and "graded again on the next run" in log
    report = (out / ASSIGNMENT / "report.md").read_text()
    assert f"- {lost[0]}: Slurm job {cancelled}" in report

    rerun = grade(slurm, subs, out, "--jobs", "2", "--slurm-cpus", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "skipping 1 already graded" in " ".join(rerun.stderr.split())
    assert_golden(out / ASSIGNMENT / lost[0], lost[0])
    assert not (out / ASSIGNMENT / lost[0] / "grader-error.log").exists()


def test_a_job_killed_over_its_memory_says_so_with_its_log_and_costs_only_its_submission(slurm, tmp_path):
    """2 GB is within the sandbox's limit for a probe but over the job's SLURM_MEM_GB=1: Slurm kills it."""
    subs = submissions(tmp_path / "subs", ["reference"], edits={
        "hog": "import time\n_hog = bytearray(2 * 1024 ** 3); _hog[::4096] = b'x' * len(_hog[::4096]); time.sleep(60)"})
    done = grade(slurm, subs, tmp_path / "out", "--jobs", "2", "--slurm-cpus", "1", "--slurm-mem-gb", "1")
    out = tmp_path / "out" / ASSIGNMENT
    assert done.returncode == 1, done.stderr[-3000:]
    assert_golden(out / "reference", "reference")
    assert "hog: error (Slurm job" in " ".join(done.stderr.split())
    assert "over its memory limit (SLURM_MEM_GB=1)" in " ".join(done.stderr.split())
    assert "memory limit" in (out / "hog" / "grader-error.log").read_text().split("The end of its log:")[1]


def test_a_job_killed_at_its_time_limit_says_so_with_its_log(slurm, tmp_path):
    subs = submissions(tmp_path / "subs", [], edits={"sleeper": "import time; time.sleep(900)"})
    done = grade(slurm, subs, tmp_path / "out", "--jobs", "1", "--slurm-cpus", "1", "--slurm-time", "1")
    assert done.returncode == 1, done.stderr[-3000:]
    console = " ".join(done.stderr.split())
    assert "sleeper: error (Slurm job" in console and "at its time limit (SLURM_TIME, here 1 min)" in console
    log = (tmp_path / "out" / ASSIGNMENT / "sleeper" / "grader-error.log").read_text().split("The end of its log:")[1]
    # Slurm's own kill, or the warning signal submitit asks for before it (which ends a job that cannot requeue).
    assert "DUE TO TIME LIMIT" in log or "timed-out" in log


def test_a_killed_coordinator_loses_nothing_and_its_rerun_grades_nothing_twice(slurm, tmp_path):
    """``kill -9`` of make grade with three jobs in the queue (one runs at a time): the jobs go on;
    the rerun waits for the ones still queued instead of submitting them again."""
    names = ["reference", "no_log", "skeleton"]
    subs = submissions(tmp_path / "subs", names)
    out = tmp_path / "out"
    ledger = out / ASSIGNMENT / "_jobs" / "queued.json"
    args, env = command(slurm, subs, out, "--jobs", "3", "--slurm-cpus", "2")
    coordinator = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if len(json.loads(ledger.read_text())) == 3:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    coordinator.send_signal(signal.SIGKILL)
    coordinator.wait()
    assert len(slurm.queue()) >= 2, "the jobs should outlive the coordinator"
    assert not list(out.rglob("*.part")), "a file was left half written"

    rerun = grade(slurm, subs, out, "--jobs", "3", "--slurm-cpus", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "still queued from an earlier run" in " ".join(rerun.stderr.split())
    for name in names:
        assert_golden(out / ASSIGNMENT / name, name)
        assert not (out / ASSIGNMENT / name / "history").exists(), f"{name} was graded twice"
    submitted = {path.name.split("_")[0] for path in (out / ASSIGNMENT / "_jobs").glob("*_submitted.pkl")}
    assert len(submitted) == 3, f"jobs submitted: {sorted(submitted)}"
    with open(out / ASSIGNMENT / "grades.csv", newline="") as handle:
        assert sorted(row["submission"] for row in csv.DictReader(handle)) == sorted(names)
    assert "3 submissions graded" in (out / ASSIGNMENT / "report.md").read_text()


def test_a_class_from_its_moodle_download_is_graded_through_slurm(slurm, tmp_path):
    """The classroom generator's class (examples, variants, hostile code, odd uploads), one job each."""
    from kit.validate import classroom

    students = classroom.build(load_config(ASSIGNMENT), 12, tmp_path / "class", hostile=["fork_bomb", "writes_outside"])
    download = tmp_path / "class" / "CS101-ex01_features-12.zip"
    done = grade(slurm, download, tmp_path / "out", "--jobs", "4", "--slurm-cpus", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert classroom.check(tmp_path / "out" / ASSIGNMENT, students, golden("reference")["total"]) == []
