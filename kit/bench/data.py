"""Benchmark of `make data`: cold vs warm cache, and feature throughput on a GTZAN-shaped tree.

1. ``python -m kit data`` on the embedded corpus as a subprocess (imports and numba loading
   count), first with an empty temporary cache (cold), then again (warm). Target: warm at
   least ``WARM_TARGET`` times faster than cold.
2. 128 synthetic 30 s clips written in the original GTZAN layout (music_wav/, speech_wav/,
   the real manifest's names) go through the real gtzan path: ``python -m kit data --dataset
   gtzan`` as a subprocess, and in-process with one worker and with the process pool. The
   baseline is a bare serial loop of ``clip_features`` in this process (librosa warm).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from kit.paths import REPO

WARM_TARGET = 20.0


def _kit_data(*args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kit", "data", "--quiet", *args],
                            cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"python -m kit data {' '.join(args)} failed:\n{result.stderr}")
    return elapsed


def bench_cold_warm() -> bool:
    from kit.data.cache import DATASETS

    if not DATASETS["embedded"].manifest.exists():
        print("embedded corpus: skipped (data_manifests/embedded.json does not exist yet; run make corpus)")
        return True
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        cold = _kit_data("--dataset", "embedded", "--cache-dir", tmp)
        warm = min(_kit_data("--dataset", "embedded", "--cache-dir", tmp) for _ in range(3))
    ratio = cold / warm
    ok = ratio >= WARM_TARGET
    print(f"make data, embedded corpus: cold {cold:.2f} s (baseline), warm {warm:.3f} s (best of 3): "
          f"warm is {ratio:.1f}x faster -> {'PASS' if ok else 'FAIL'} (target >= {WARM_TARGET:g}x)")
    return ok


def bench_gtzan_throughput() -> bool:
    from kit.data.cache import prepare_manifest
    from kit.data.features import FeatureParams, clip_features
    from kit.data.manifest import load_manifest
    from kit.data.synthetic import write_synthetic_gtzan

    with tempfile.TemporaryDirectory(prefix="bench-gtzan-") as tmp:
        data = Path(tmp) / "music_speech"
        started = time.perf_counter()
        n = write_synthetic_gtzan(data)
        print(f"GTZAN-shaped tree: {n} synthetic 30 s clips written in {time.perf_counter() - started:.1f} s")

        params = FeatureParams(duration=30.0)
        files = sorted(data.rglob("*.wav"))
        clip_features(files[0], params)  # librosa warm-up, not timed
        sample = files[:24]
        started = time.perf_counter()
        for path in sample:
            clip_features(path, params)
        baseline = len(sample) / (time.perf_counter() - started)
        print(f"  baseline: bare serial clip_features in this process: {baseline:.1f} clips/s")

        cli = n / _kit_data("--dataset", "gtzan", "--data-dir", str(data), "--cache-dir", str(Path(tmp) / "c0"))
        print(f"  python -m kit data --dataset gtzan (cold, incl. startup + verification): {cli:.1f} clips/s "
              f"= {cli / baseline:.2f}x baseline")
        manifest = load_manifest(REPO / "data_manifests" / "gtzan_music_speech.json")
        for workers in (1, 2):
            started = time.perf_counter()
            prepare_manifest(manifest, data, cache_root=Path(tmp) / f"c{workers}", progress=False, workers=workers)
            rate = n / (time.perf_counter() - started)
            print(f"  prepare_manifest in-process, {workers} worker(s): {rate:.1f} clips/s = {rate / baseline:.2f}x baseline")
    return True


def run() -> bool:
    ok = bench_cold_warm()
    ok = bench_gtzan_throughput() and ok
    return ok
