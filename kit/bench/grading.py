"""Grading overhead: the sandboxed grader against a bare train-and-test run, and JOBS=1 vs JOBS=2.

1. For every assignment with a ``bench_bare.py`` in its grader folder: the reference
   solution graded on its own (`python -m kit grade --submission ...`) against the same solution
   trained and tested directly on the same features, with the same epochs, seed and batch size,
   threads and malloc settings, in one plain process (that module's ``bare_script``). The ratio
   is the price of the sandbox, the separate probes and the other checks.
2. Six example submissions of the benched assignment (``batch_examples``) graded with JOBS=1, with JOBS=2 (ratio = speed-up) and with
   EXECUTOR=local JOBS=1 (submitit's local executor: the price of one job per submission).

``run()`` returns whether every target is met: graded/bare at most ``OVERHEAD_TARGET``, JOBS=2
at least ``PARALLEL_TARGET`` times faster than JOBS=1, EXECUTOR=local at most
``LOCAL_EXECUTOR_TARGET`` times JOBS=1 with the same scores.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kit.grading.config import REPO, assignments, load_config
from kit.sandbox.runner import compute_settings

OVERHEAD_TARGET = 1.3  # graded / bare train-and-test (issue: grading at the speed of training)
PAIRS = 3  # paired runs of bare and graded; medians are compared
PARALLEL_TARGET = 1.3  # JOBS=1 / JOBS=2 on 2 cores (JOBS=1 already lends its idle core to the accuracy probe)
LOCAL_EXECUTOR_TARGET = 1.15  # EXECUTOR=local / JOBS=1: the price of a submitit job per submission
BATCH_SIZE = 6  # examples in the batch timings, unless the assignment's bench_bare.py names its BATCH_EXAMPLES

def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (user, nice, system, irq), from /proc/stat.

    Sandboxed processes are reaped inside their own PID namespaces, where a parent's rusage
    does not see them all; the machine-wide count does (run the bench on an idle machine).
    """
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timed:
    wall: float
    cpu: float
    stdout: str


def _timed(command: list[str], **env: str) -> Timed:
    cpu, started = _busy_cpu_seconds(), time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**os.environ, **env})
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:5])} failed:\n{process.stdout[-2000:]}{process.stderr[-2000:]}")
    return Timed(time.perf_counter() - started, _busy_cpu_seconds() - cpu, process.stdout)


def _baseline(config):
    """The assignment's ``bench_bare.py`` (``bare_script``, ``graded_work``), or None when it has none."""
    import importlib.util

    path = config.folder / "bench_bare.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_bare_{config.id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bare_train_and_test(config, baseline) -> Timed:
    """The reference trained and tested on the embedded data in one plain process (the assignment's script)."""
    return _timed([sys.executable, "-c", baseline.bare_script(config)], **compute_settings(threads=1))


def _work(stdout: str) -> str:
    return next((line.split("work:", 1)[1].strip() for line in reversed(stdout.splitlines()) if line.startswith("work:")),
                "(no work line)")


def bench_overhead(tmp: Path, assignment: str) -> bool:
    """Graded against bare, in PAIRS paired runs (bare then graded), medians compared."""
    config = load_config(assignment)
    baseline = _baseline(config)
    bare, graded = [], []
    for _ in range(PAIRS):
        bare.append(bare_train_and_test(config, baseline))
        graded.append(_timed([sys.executable, "-m", "kit", "grade", "--assignment", assignment, "--submission",
                              str(config.reference_folder), "--results-json", str(tmp / "reference.json")]))
    results = json.loads((tmp / "reference.json").read_text())
    bare_work, graded_work = _work(bare[-1].stdout), baseline.graded_work(results)
    full = sum(test["max_score"] for test in results["tests"])
    wall = (statistics.median(r.wall for r in bare), statistics.median(r.wall for r in graded))
    cpu = (statistics.median(r.cpu for r in bare), statistics.median(r.cpu for r in graded))
    print(f"{assignment} reference, bare train+test in one process: {wall[0]:6.1f} s wall, {cpu[0]:6.1f} s CPU "
          f"(median of {PAIRS}; {bare_work})")
    print(f"{assignment} reference, graded in the sandbox:          {wall[1]:6.1f} s wall, {cpu[1]:6.1f} s CPU "
          f"(median of {PAIRS}; {graded_work}; {results['score']:g} / {full:g} points)")
    same_work = bare_work == graded_work
    if not same_work:
        print(f"FAIL: the bare run did '{bare_work}', the graded one '{graded_work}': they did not do the same "
              "training, so the ratio means nothing")
    ok = same_work and results["score"] == full and wall[1] / wall[0] <= OVERHEAD_TARGET
    print(f"{assignment} ratio graded / bare: {wall[1] / wall[0]:.2f}x wall -> {'PASS' if ok else 'FAIL'} "
          f"(target <= {OVERHEAD_TARGET:g}x); {cpu[1] / cpu[0]:.2f}x CPU (not a target: with a core "
          "to spare the accuracy probe runs beside the others)")
    return ok


def batch_examples(config) -> list[str]:
    """The examples of the batch timings: the assignment's ``BATCH_EXAMPLES`` (bench_bare.py), else its
    first ``BATCH_SIZE`` examples by name, the reference and the skeleton among them."""
    from kit.grading.examples import example_sources

    baseline = _baseline(config)
    named = getattr(baseline, "BATCH_EXAMPLES", None)
    if named:
        return list(named)
    idents = sorted(ident for ident, _ in example_sources(config))
    first = [ident for ident in ("reference", "skeleton") if ident in idents]
    return first + [ident for ident in idents if ident not in first][:BATCH_SIZE - len(first)]


def _example_subset(config, idents: list[str], folder: Path) -> Path:
    """Those examples as a folder of submissions (the bundled examples, built as `make grade` builds them)."""
    from kit.grading.examples import example_sources

    for ident, source in example_sources(config):
        if ident in idents:
            shutil.copytree(source, folder / ident)
    return folder


def bench_batches(tmp: Path, assignment: str) -> bool:
    """The same examples graded with JOBS=1, JOBS=2 and through submitit's local executor."""
    config = load_config(assignment)
    idents = batch_examples(config)
    submissions = _example_subset(config, idents, tmp / "subset")

    def batch(name: str, *options: str) -> float:
        timed = _timed([sys.executable, "-m", "kit", "grade", "--assignment", assignment, "--submissions",
                        str(submissions), "--force", "--out", str(tmp / name), *options])
        print(f"{len(idents)} {assignment} examples, {name:<22} {timed.wall:6.1f} s")
        return timed.wall

    one = batch("JOBS=1", "--jobs", "1")
    two = batch("JOBS=2", "--jobs", "2")
    local = batch("EXECUTOR=local JOBS=1", "--jobs", "1", "--executor", "local")
    same = all(json.loads((tmp / "EXECUTOR=local JOBS=1" / assignment / ident / "results.json").read_text())["score"]
               == json.loads((tmp / "JOBS=1" / assignment / ident / "results.json").read_text())["score"]
               for ident in idents)
    parallel_ok = one / two >= PARALLEL_TARGET
    print(f"ratio JOBS=1 / JOBS=2: {one / two:.2f}x -> {'PASS' if parallel_ok else 'FAIL'} (target >= {PARALLEL_TARGET:g}x)")
    local_ok = same and local / one <= LOCAL_EXECUTOR_TARGET
    print(f"ratio EXECUTOR=local / JOBS=1: {local / one:.2f}x, same scores: {same} -> {'PASS' if local_ok else 'FAIL'} "
          f"(target <= {LOCAL_EXECUTOR_TARGET:g}x)")
    return parallel_ok and local_ok


def run(assignment: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="kit-bench-grading-") as tmp:
        tmp = Path(tmp)
        overhead_ok = True
        for assignment in assignments():  # every assignment whose grader folder has a bench_bare.py
            if _baseline(load_config(assignment)) is not None:
                overhead_ok = bench_overhead(tmp, assignment) and overhead_ok
        parallel_ok = bench_batches(tmp, assignment)
    return overhead_ok and parallel_ok
