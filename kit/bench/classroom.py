"""A class graded as a TA grades it: throughput against the reference's bare train+test, peak memory,
and the time to build the report.

The class is ``make class``'s (kit/validate/classroom.py) for the benched assignment, ``CLASS_N`` students; its
working part (examples and variants: no hostile code, no broken upload) is graded from its Moodle
download with JOBS = the machine's cores. The bound is one bare train+test of the reference
(the assignment's bench_bare.py script, median of ``BARE_RUNS``) per working submission, spread over the
cores; the batch must reach ``THROUGHPUT_TARGET`` of it. Peak memory is the machine's (MemTotal -
MemAvailable) above what it used before the batch; the report's build time is a rerun that grades
nothing and rebuilds the grade sheet, reports, similarity and LMS files.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from kit.bench.grading import _baseline, _timed, bare_train_and_test
from kit.grading.config import load_config
from kit.processes import available_cores
from kit.validate import classroom

CLASS_N = 30
BARE_RUNS = 3
THROUGHPUT_TARGET = 0.8  # of one bare train+test per working submission, spread over the cores


def _used_mb() -> float:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) / 1024


class PeakMemory(threading.Thread):
    """The machine's memory in use, sampled every 0.2 s: its peak above the level at the start."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.baseline = self.peak = _used_mb()
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _used_mb())
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak - self.baseline


def working_download(assignment: str, tmp: Path) -> tuple[Path, int]:
    """The class's download unpacked, holding only its working students; their number."""
    students = classroom.build(load_config(assignment), CLASS_N, tmp / "class")
    folder = tmp / "working"
    with zipfile.ZipFile(tmp / "class" / f"CS101-{assignment}-{CLASS_N}.zip") as download:
        download.extractall(folder)
    for name, student in students.items():
        if not student.working:
            shutil.rmtree(folder / name)
    return folder, sum(student.working for student in students.values())


def run(assignment: str) -> bool:
    cores = available_cores()
    with tempfile.TemporaryDirectory(prefix="kit-bench-class-") as tmp:
        tmp = Path(tmp)
        download, working = working_download(assignment, tmp)
        config = load_config(assignment)
        bare = statistics.median(bare_train_and_test(config, _baseline(config)).wall for _ in range(BARE_RUNS))
        command = [sys.executable, "-m", "kit", "grade", "--assignment", assignment, "--submissions", str(download),
                   "--jobs", str(cores), "--out", str(tmp / "out")]
        memory = PeakMemory()
        memory.start()
        batch = _timed(command)
        peak = memory.stop()
        report = _timed(command)  # everything graded: only the sheet, reports and LMS files are rebuilt
    bound = working * bare / cores
    ratio = bound / batch.wall
    ok = ratio >= THROUGHPUT_TARGET
    print(f"reference, bare train+test: {bare:.1f} s (median of {BARE_RUNS})")
    print(f"{working} working submissions of a {CLASS_N}-student {assignment} class, JOBS={cores}: "
          f"{batch.wall:.1f} s, {working / batch.wall * 60 / cores:.2f} students per minute per core "
          f"(bound: {60 / bare:.2f}, one bare train+test each)")
    print(f"peak memory above idle: {peak:.0f} MB; report, grade sheet, similarity and LMS files rebuilt in "
          f"{report.wall:.1f} s")
    print(f"throughput / bound: {ratio:.2f} -> {'PASS' if ok else 'FAIL'} (target >= {THROUGHPUT_TARGET:g})")
    return ok
