"""Benchmark of `make data`: cold vs warm cache, and feature throughput on a GTZAN-shaped tree.

1. ``python -m kit data`` on the embedded corpus as a subprocess, as a TA's first run has it
   (cold: a fresh process, an empty feature cache and an empty numba cache, so librosa
   compiles), then again (warm: the features are cached). Target: warm at least
   ``WARM_TARGET`` times faster than cold.
2. 128 synthetic 30 s clips written in the original GTZAN layout (music_wav/, speech_wav/,
   the real manifest's names) go through the real gtzan path: ``python -m kit data --dataset
   gtzan`` as a subprocess (start-up and verification included), and ``prepare_manifest`` in
   this process. The baseline is a bare serial loop of ``clip_features`` in this process
   (librosa warm). Target: in-process extraction at least ``THROUGHPUT_TARGET`` x the baseline
   (the kit's caching and verification may cost at most a fifth).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from kit.paths import REPO

WARM_TARGET = 20.0
THROUGHPUT_TARGET = 0.8


def _kit_data(*args: str, numba_cache: Path | None = None) -> float:
    env = dict(os.environ)
    if numba_cache is not None:  # librosa's numba functions compile into (or load from) here
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kit", "data", "--quiet", *args],
                            cwd=REPO, capture_output=True, text=True, env=env)
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
        numba = Path(tmp) / "numba"
        numba.mkdir()
        cache = str(Path(tmp) / "cache")
        cold = _kit_data("--dataset", "embedded", "--cache-dir", cache, numba_cache=numba)
        warm = min(_kit_data("--dataset", "embedded", "--cache-dir", cache, numba_cache=numba) for _ in range(3))
    ratio = cold / warm
    ok = ratio >= WARM_TARGET
    print(f"make data, embedded corpus: cold {cold:.2f} s (baseline: fresh process, empty feature and numba caches), "
          f"warm {warm:.3f} s (best of 3): "
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
        started = time.perf_counter()
        prepare_manifest(manifest, data, cache_root=Path(tmp) / "c1", progress=False)
        rate = n / (time.perf_counter() - started)
        ok = rate / baseline >= THROUGHPUT_TARGET
        print(f"  prepare_manifest in this process (verification + extraction + writing): {rate:.1f} clips/s = "
              f"{rate / baseline:.2f}x baseline -> {'PASS' if ok else 'FAIL'} (target >= {THROUGHPUT_TARGET:g}x)")
    return ok


def run(assignment: str) -> bool:
    del assignment  # the data layer's timings: the embedded corpus and a GTZAN-shaped tree, whatever is benched
    ok = bench_cold_warm()
    ok = bench_gtzan_throughput() and ok
    return ok
