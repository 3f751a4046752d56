"""Grading overhead: the sandboxed grader against a bare train-and-test run, and JOBS=1 vs JOBS=2.

1. The reference solution graded on its own (`python -m kit grade --submission ...`) against
   the same solution trained and tested directly on the same features, with the same epochs,
   seed and batch size, in one plain process. The ratio is the price of the sandbox, the
   separate probes and the other checks.
2. All example submissions graded with JOBS=1 and with JOBS=2 (ratio = speed-up).

``run()`` returns whether both targets are met: graded/bare at most ``OVERHEAD_TARGET`` and
JOBS=2 at least ``PARALLEL_TARGET`` times faster than JOBS=1.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kit.grading.config import REPO, load_config

OVERHEAD_TARGET = 1.3  # graded / bare train-and-test (issue: grading at the speed of training)
PARALLEL_TARGET = 1.5  # JOBS=1 / JOBS=2 on 2 cores

BARE_RUN = """
import sys, torch
sys.path[:0] = [{solution!r}]
from dataset_class_student import get_data_loaders
from my_cnn_system_student import MyCNNSystem
from training_student import train, test
torch.manual_seed({seed}); torch.set_num_threads(1)
train_loader, val_loader, test_loader = get_data_loaders({features!r}, batch_size={batch_size})
x, _ = next(iter(train_loader))
model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
train(model, train_loader, val_loader, max_epochs={max_epochs})
print("bare accuracy", test(model, test_loader))
"""


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:5])} failed:\n{process.stdout[-2000:]}{process.stderr[-2000:]}")
    return time.perf_counter() - started, process.stdout


def run() -> bool:
    from kit.data.cache import prepare_dataset

    config = load_config("ex02_cnn")
    settings = config.settings["accuracy"]
    features = prepare_dataset("embedded", progress=False)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="kit-bench-grading-") as tmp:
        tmp = Path(tmp)
        script = BARE_RUN.format(solution=str(REPO / "solutions" / "ex02_cnn"),
                                 features=str(features.root),
                                 seed=settings["seed"], batch_size=settings["batch_size"],
                                 max_epochs=settings["max_epochs"])
        bare, output = _timed([python, "-c", script])
        graded, _ = _timed([python, "-m", "kit", "grade", "--submission", str(REPO / "solutions" / "ex02_cnn"),
                            "--results-json", str(tmp / "reference.json")])
        print(f"reference, bare train+test in one process: {bare:6.1f} s ({output.strip().splitlines()[-1]})")
        print(f"reference, graded in the sandbox:          {graded:6.1f} s")
        overhead_ok = graded / bare <= OVERHEAD_TARGET
        print(f"ratio graded / bare: {graded / bare:.2f}x -> {'PASS' if overhead_ok else 'FAIL'} "
              f"(target <= {OVERHEAD_TARGET:g}x)")
        batch = {}
        for jobs in (1, 2):
            batch[jobs], _ = _timed([python, "-m", "kit", "grade", "--jobs", str(jobs), "--force",
                                     "--out", str(tmp / f"jobs{jobs}")])
            print(f"all examples, JOBS={jobs}: {batch[jobs]:6.1f} s")
        parallel_ok = batch[1] / batch[2] >= PARALLEL_TARGET
        print(f"ratio JOBS=1 / JOBS=2: {batch[1] / batch[2]:.2f}x -> {'PASS' if parallel_ok else 'FAIL'} "
              f"(target >= {PARALLEL_TARGET:g}x)")
    return overhead_ok and parallel_ok
