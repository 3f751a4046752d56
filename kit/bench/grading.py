"""Grading overhead: the sandboxed grader against a bare train-and-test run, and JOBS=1 vs JOBS=2.

1. The reference solution graded on its own (`python -m kit grade --submission ...`) against
   the same solution trained and tested directly on the same features, with the same epochs,
   seed and batch size, threads and malloc settings, in one plain process. The ratio is the
   price of the sandbox, the separate probes and the other checks.
2. Six example submissions graded with JOBS=1, with JOBS=2 (ratio = speed-up) and with
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

from kit.grading.config import REPO, load_config
from kit.sandbox.runner import compute_settings

OVERHEAD_TARGET = 1.3  # graded / bare train-and-test (issue: grading at the speed of training)
PAIRS = 3  # paired runs of bare and graded; medians are compared
PARALLEL_TARGET = 1.3  # JOBS=1 / JOBS=2 on 2 cores (JOBS=1 already lends its idle core to the accuracy probe)
LOCAL_EXECUTOR_TARGET = 1.15  # EXECUTOR=local / JOBS=1: the price of a submitit job per submission
# Examples for the batch timings: full marks, nothing implemented, and bugs in each part.
BATCH_EXAMPLES = ("reference", "skeleton", "float_labels", "hardwired_646", "no_restore", "one_split_for_all")

# The accuracy probe's training, without the kit: the same loaders (all clips in memory, in
# file-name order; only training shuffles, with a generator seeded like the probe's), the same
# seeding before the model is built, the same epochs. The bench checks that both stop at the
# same epoch, so the two runs did the same work.
BARE_RUN = """
import random, sys
from pathlib import Path
import numpy as np, torch
from torch.utils.data import DataLoader, TensorDataset
sys.path[:0] = [{solution!r}]
from my_cnn_system_student import MyCNNSystem
from training_student import train, test

def split(name):
    files = sorted(Path({features!r}, name).glob("*.npz"))
    items = [np.load(f, allow_pickle=False) for f in files]
    return TensorDataset(torch.stack([torch.from_numpy(np.asarray(i["features"], dtype=np.float32)) for i in items]),
                         torch.tensor([int(i["label"]) for i in items], dtype=torch.int64))

torch.set_num_threads(1)
generator = torch.Generator()
generator.manual_seed({seed})
train_loader = DataLoader(split("training"), batch_size={batch_size}, shuffle=True, generator=generator)
val_loader = DataLoader(split("validation"), batch_size={batch_size})
test_loader = DataLoader(split("testing"), batch_size={batch_size})
x, _ = next(iter(val_loader))  # before seeding: starting a loader draws from torch's global generator
random.seed({seed}); np.random.seed({seed}); torch.manual_seed({seed})
model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
history = train(model, train_loader, val_loader, max_epochs={max_epochs})
print("bare: stopped at epoch", history["stop_epoch"], "test accuracy", test(model, test_loader))
"""


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


def _stop_epoch(results_json: Path) -> int | None:
    tests = json.loads(results_json.read_text())["tests"]
    accuracy = next(t for t in tests if t["number"] == "4.4")
    return next(iter(accuracy.get("extra_data", {}).get("figures", [])), {}).get("stop_epoch")


def bare_train_and_test() -> Timed:
    """The reference trained and tested on the embedded features in one plain process (BARE_RUN)."""
    from kit.data.cache import prepare_dataset

    settings = load_config("ex02_cnn").settings["accuracy"]
    features = prepare_dataset("embedded", progress=False)
    script = BARE_RUN.format(solution=str(load_config("ex02_cnn").reference_folder), features=str(features.root),
                             seed=settings["seed"], batch_size=settings["batch_size"],
                             max_epochs=settings["max_epochs"])
    return _timed([sys.executable, "-c", script], **compute_settings(threads=1))


def bench_overhead(tmp: Path) -> bool:
    """Graded against bare, in PAIRS paired runs (bare then graded), medians compared."""
    solution = load_config("ex02_cnn").reference_folder
    bare, graded = [], []
    for _ in range(PAIRS):
        bare.append(bare_train_and_test())
        graded.append(_timed([sys.executable, "-m", "kit", "grade", "--assignment", "ex02_cnn", "--submission", str(solution),
                              "--results-json", str(tmp / "reference.json")]))
    bare_epoch = int(bare[-1].stdout.split("stopped at epoch")[1].split()[0])
    graded_epoch = _stop_epoch(tmp / "reference.json")
    wall = (statistics.median(r.wall for r in bare), statistics.median(r.wall for r in graded))
    cpu = (statistics.median(r.cpu for r in bare), statistics.median(r.cpu for r in graded))
    print(f"reference, bare train+test in one process: {wall[0]:6.1f} s wall, {cpu[0]:6.1f} s CPU "
          f"(median of {PAIRS}; {bare[-1].stdout.strip().splitlines()[-1]})")
    print(f"reference, graded in the sandbox:          {wall[1]:6.1f} s wall, {cpu[1]:6.1f} s CPU "
          f"(median of {PAIRS}; training stopped at epoch {graded_epoch})")
    same_work = bare_epoch == graded_epoch
    if not same_work:
        print(f"FAIL: the bare run stopped at epoch {bare_epoch}, the graded one at {graded_epoch}: "
              "they did not do the same training, so the ratio means nothing")
    ok = same_work and wall[1] / wall[0] <= OVERHEAD_TARGET
    print(f"ratio graded / bare: {wall[1] / wall[0]:.2f}x wall -> {'PASS' if ok else 'FAIL'} "
          f"(target <= {OVERHEAD_TARGET:g}x); {cpu[1] / cpu[0]:.2f}x CPU (not a target: with a core "
          "to spare the accuracy probe runs beside the others)")
    return ok


def _example_subset(folder: Path) -> Path:
    """BATCH_EXAMPLES as a folder of submissions (the bundled examples, built as `make grade` builds them)."""
    from kit.grading.examples import example_sources

    for ident, source in example_sources(load_config("ex02_cnn")):
        if ident in BATCH_EXAMPLES:
            shutil.copytree(source, folder / ident)
    return folder


def bench_batches(tmp: Path) -> bool:
    """The same examples graded with JOBS=1, JOBS=2 and through submitit's local executor."""
    submissions = _example_subset(tmp / "subset")

    def batch(name: str, *options: str) -> float:
        timed = _timed([sys.executable, "-m", "kit", "grade", "--assignment", "ex02_cnn", "--submissions", str(submissions), "--force",
                        "--out", str(tmp / name), *options])
        print(f"{len(BATCH_EXAMPLES)} examples, {name:<22} {timed.wall:6.1f} s")
        return timed.wall

    one = batch("JOBS=1", "--jobs", "1")
    two = batch("JOBS=2", "--jobs", "2")
    local = batch("EXECUTOR=local JOBS=1", "--jobs", "1", "--executor", "local")
    same = all(json.loads((tmp / "EXECUTOR=local JOBS=1" / "ex02_cnn" / ident / "results.json").read_text())["score"]
               == json.loads((tmp / "JOBS=1" / "ex02_cnn" / ident / "results.json").read_text())["score"]
               for ident in BATCH_EXAMPLES)
    parallel_ok = one / two >= PARALLEL_TARGET
    print(f"ratio JOBS=1 / JOBS=2: {one / two:.2f}x -> {'PASS' if parallel_ok else 'FAIL'} (target >= {PARALLEL_TARGET:g}x)")
    local_ok = same and local / one <= LOCAL_EXECUTOR_TARGET
    print(f"ratio EXECUTOR=local / JOBS=1: {local / one:.2f}x, same scores: {same} -> {'PASS' if local_ok else 'FAIL'} "
          f"(target <= {LOCAL_EXECUTOR_TARGET:g}x)")
    return parallel_ok and local_ok


def run() -> bool:
    with tempfile.TemporaryDirectory(prefix="kit-bench-grading-") as tmp:
        tmp = Path(tmp)
        overhead_ok = bench_overhead(tmp)
        parallel_ok = bench_batches(tmp)
    return overhead_ok and parallel_ok
