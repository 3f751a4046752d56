"""Faults during a batch cost only what they hit: a full disk stops the batch cleanly and the rerun
completes; a grader killed mid-run, a probe server that dies and a submission that forks without
end each cost at most their own submission, with a message. ex01 batches: seconds a submission.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from submission_helpers import reference_with_prelude

from kit.grading.config import REPO
from kit.sandbox import isolation

pytestmark = pytest.mark.slow
ASSIGNMENT = "ex01_features"
REFERENCE_TOTAL = json.loads((REPO / "autograder" / "examples" / ASSIGNMENT / "reference" / "expected.json")
                             .read_text())["total"]


def submissions(folder: Path, preludes: dict[str, str]) -> Path:
    """One copy of the reference per name, with ``prelude`` put at the top of its file."""
    for name, prelude in preludes.items():
        reference_with_prelude(folder / name, prelude, ASSIGNMENT)
    return folder


def command(subs: Path, out: Path, jobs: int = 1) -> list[str]:
    return [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--submissions", str(subs),
            "--out", str(out), "--jobs", str(jobs)]


def grade(subs: Path, out: Path, jobs: int = 1) -> subprocess.CompletedProcess:
    return subprocess.run(command(subs, out, jobs), capture_output=True, text=True, cwd=REPO, timeout=900)


def score(out: Path, name: str) -> float | None:
    path = out / ASSIGNMENT / name / "results.json"
    return json.loads(path.read_text())["score"] if path.is_file() else None


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def processes(pattern: str, under: int | None = None) -> list[int]:
    """Pids whose command line holds ``pattern`` (and, with ``under``, that descend from that pid:
    the other test worker's sandboxes are none of this test's business)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if pattern not in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    continue
            except OSError:
                continue
            pid = ancestor = int(entry.name)
            while under is not None and ancestor not in (0, 1, under):
                ancestor = _parent(ancestor)
            if under is None or ancestor == under:
                found.append(pid)
    return found


def kill_when_seen(pattern: str, after: float = 0.0, deadline: float = 120.0,
                   under: int | None = None) -> threading.Thread:
    """In the background: SIGKILL the first process matching ``pattern`` (descending from ``under``),
    ``after`` s after it appears."""
    def watch() -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            pids = processes(pattern, under)
            if pids:
                time.sleep(after)
                for pid in processes(pattern, under):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs for the grades, most of it taken by a file the test removes to free space."""
    mount = tmp_path / "grades"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_stops_the_batch_cleanly_and_the_rerun_after_freeing_space_completes(tmp_path, small_disk):
    names = [f"student{i}" for i in range(6)]
    subs = submissions(tmp_path / "subs", {name: "" for name in names})
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024 - 96 * 1024))  # about three submissions' room left
    full = grade(subs, small_disk)
    assert full.returncode != 0
    message = " ".join(full.stderr.split())
    assert f"the disk holding {small_disk / ASSIGNMENT} is full" in message and "Traceback" not in full.stderr, \
        full.stderr[-3000:]
    graded = [name for name in names if score(small_disk, name) is not None]
    assert 0 < len(graded) < len(names), full.stderr[-3000:]  # stopped part-way, keeping what it graded
    assert all(score(small_disk, name) == REFERENCE_TOTAL for name in graded)  # every results.json whole
    assert not list(small_disk.rglob("*.part"))

    filler.unlink()
    rerun = grade(subs, small_disk)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"skipping {len(graded)} already graded" in " ".join(rerun.stderr.split())
    assert all(score(small_disk, name) == REFERENCE_TOTAL for name in names)


def test_a_grader_killed_mid_run_costs_only_its_submission_with_a_message(tmp_path):
    subs = submissions(tmp_path / "subs", {"steady": "", "victim": "import time; time.sleep(2)"})
    out = tmp_path / "out"
    killer = kill_when_seen(f"{out / ASSIGNMENT / 'victim' / 'files'} ", after=3.0)
    done = grade(subs, out, jobs=2)
    killer.join()
    assert done.returncode == 1
    assert score(out, "steady") == REFERENCE_TOTAL and score(out, "victim") is None
    console = " ".join(done.stderr.split())
    assert "victim: error (the graders were killed by SIGKILL before they finished)" in console, done.stderr[-3000:]
    assert "the graders were killed by SIGKILL" in (out / ASSIGNMENT / "victim" / "grader-error.log").read_text()


def test_a_probe_server_that_dies_costs_its_submission_nothing(tmp_path):
    """Killed from outside while a probe runs in it: that probe runs again in a sandbox of its own."""
    subs = submissions(tmp_path / "subs", {"victim": "import time; time.sleep(1)"})
    out = tmp_path / "out"
    coordinator = subprocess.Popen(command(subs, out), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    killer = kill_when_seen("_probe_server.py", after=4.0, under=coordinator.pid)  # this batch's server only
    _, stderr = coordinator.communicate(timeout=900)
    killer.join()
    assert coordinator.returncode == 0, stderr[-3000:]
    assert score(out, "victim") == REFERENCE_TOTAL


@pytest.mark.skipif(os.geteuid() != 0 or not isolation.detect().drops_privileges,
                    reason="a sandbox user of its own, whose process limit holds a fork bomb, needs root")
def test_a_fork_bomb_costs_only_its_own_submission(tmp_path):
    subs = submissions(tmp_path / "subs", {"steady": "", "bomb": "import os\nwhile True:\n    os.fork()"})
    out = tmp_path / "out"
    done = grade(subs, out, jobs=2)
    assert done.returncode == 0, done.stderr[-3000:]
    assert score(out, "steady") == REFERENCE_TOTAL and score(out, "bomb") == 0
    feedback = (out / ASSIGNMENT / "bomb" / "feedback.md").read_text()
    assert "more processes" in feedback, feedback[:2000]
