"""Benchmark: grading the reference through the otter autograder zip vs the kit directly.

``run()`` builds the autograder zip into a temporary folder, then grades the reference
submission (as a zip, like a student upload) twice in the same run:

- baseline: ``python -m kit grade --submission ref.zip --results-json ... --probe-jobs 1``, the
  engine as otter's plugin runs it (one probe at a time, for Gradescope's memory);
- measured: ``otter run -a <id>-autograder.zip ref.zip`` (otter's kernel + plugin + engine).

It prints both wall times, their ratio, otter's own overhead (its wall time minus the
engine's, as the plugin reports it: less sensitive to other load on the machine than the
ratio of two runs) and the peak memory of each process tree (the sum of the resident sizes
of all its processes, sampled every 0.1 s), which sizes the Gradescope memory setting
(kit/release/README.md). ``run()`` returns whether the targets below are met.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from kit.grading.config import load_config
from kit.paths import REPO

DATASET = "embedded"
SAMPLE_SECONDS = 0.1
# Targets: otter's kernel and plugin add seconds, not a factor; the peak stays well inside
# the memory recommended for Gradescope (config.toml [release] gradescope_memory_mb).
MAX_RATIO = 1.5
MEMORY_HEADROOM = 0.6


def measure(command: list[str], cwd: Path) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak summed RSS in bytes of the process tree, the finished process)."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True)
    reader.start()
    try:
        root = psutil.Process(process.pid)
        while process.poll() is None:
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(SAMPLE_SECONDS)
    finally:
        process.wait()
        reader.join()
    seconds = time.perf_counter() - started
    done = subprocess.CompletedProcess(command, process.returncode, b"".join(output), b"")
    return seconds, peak, done


def reference_zip(assignment: str, out: Path) -> Path:
    source = load_config(assignment).reference_folder
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(source.glob("*.py")):
            archive.write(path, path.name)
    return out


def run(assignment: str) -> bool:
    from kit.release.cli import build
    from kit.release.otter_plugin import ENGINE_PROBE_JOBS

    with tempfile.TemporaryDirectory(prefix="kit-bench-release-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        autograder = build(assignment, DATASET, tmp / "dist", only="autograder")["autograder"]
        build_seconds = time.perf_counter() - started
        submission = reference_zip(assignment, tmp / "reference.zip")
        kit_json = tmp / "kit-results.json"
        kit_s, kit_peak, kit_run = measure(
            [sys.executable, "-m", "kit", "grade", "--assignment", assignment, "--dataset", DATASET,
             "--submission", str(submission), "--results-json", str(kit_json),
             "--probe-jobs", str(ENGINE_PROBE_JOBS)], REPO)
        otter_out = tmp / "otter"
        otter_out.mkdir()
        otter = str(Path(sys.executable).with_name("otter"))
        otter_s, otter_peak, otter_run = measure(
            [otter, "run", "-a", str(autograder), "-o", str(otter_out), "--no-logo", str(submission)], otter_out)
        for name, done in (("kit grade", kit_run), ("otter run", otter_run)):
            if done.returncode != 0:
                print(done.stdout.decode(errors="replace")[-3000:])
                raise SystemExit(f"{name} failed with exit code {done.returncode}")
        engine = re.search(r"engine wall time: ([0-9.]+) s", otter_run.stdout.decode(errors="replace"))
        engine_s = float(engine.group(1)) if engine else float("nan")
        kit_score = json.loads(kit_json.read_text())["score"]
        otter_score = json.loads((otter_out / "results.json").read_text())["score"]
    ratio = otter_s / kit_s
    gradescope_mb = load_config(assignment).release.gradescope_memory_mb  # config.toml [release]
    print(f"release: autograder zip built in {build_seconds:.1f} s ({autograder.name})")
    print(f"release: reference graded by `python -m kit grade`: {kit_s:.1f} s, peak memory {kit_peak / 2**20:.0f} MB, score {kit_score:g}")
    print(f"release: reference graded by `otter run` on the zip: {otter_s:.1f} s, peak memory {otter_peak / 2**20:.0f} MB, score {otter_score:g}")
    print(f"release: otter run / kit grade wall time = {ratio:.2f}x (difference {otter_s - kit_s:+.1f} s)")
    print(f"release: inside otter run, the engine took {engine_s:.1f} s: otter's own overhead "
          f"(start-up, kernel, plugin) is {otter_s - engine_s:.1f} s")
    checks = {
        "same score through otter": otter_score == kit_score,
        f"otter overhead <= {MAX_RATIO}x": ratio <= MAX_RATIO,
        f"peak memory <= {MEMORY_HEADROOM:.0%} of the recommended {gradescope_mb} MB": otter_peak / 2**20
        <= MEMORY_HEADROOM * gradescope_mb,
    }
    for name, ok in checks.items():
        print(f"release: {'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


if __name__ == "__main__":
    run()
