"""A pre-compiled numba cache for librosa, copied into every sandbox that asks for it.

librosa compiles its numba functions when its modules are first used. The sandbox's
``/tmp`` is fresh on every run, so without help each probe that touches librosa would
compile them again (about 15 s on an idle laptop core, minutes on a loaded machine).
:func:`warm_cache` compiles them once per environment on the trusted side, into
``<root>/<key>/``; :func:`kit.sandbox.runner.run_probe` copies that folder into the box
(a private copy: a student cannot change what the next submission loads) and points
``NUMBA_CACHE_DIR`` at it. The key changes with the interpreter and the numba/librosa
versions; a stale cache only costs time, as numba recompiles what does not match.

``make setup`` runs this module (:func:`compile_for_kit_and_sandbox`): like pip's ``.pyc``
files, the compiled functions are part of installing librosa for the kit, so no later
``make data``, ``make grade`` or ``make test`` spends its first 15 CPU-seconds on them. The
autograder zip's ``setup.sh`` runs it too (kit/release/autograder.py), into Gradescope's image.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from kit.paths import REPO

# Where graders keep it (the kit's tests build it here too, before their workers start). KIT_NUMBA_CACHE_ROOT
# moves it, e.g. off a read-only or network checkout; the kit's otter tests point the zip's engine at the
# cache built here, as the autograder zip's setup.sh builds one into Gradescope's image.
NUMBA_CACHE_ROOT = Path(os.environ.get("KIT_NUMBA_CACHE_ROOT") or REPO / "build" / "cache" / "numba")

# Everything the course's feature code touches: loading, resampling, mel spectrogram.
WARM_UP = """
import numpy as np, librosa
y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
librosa.feature.melspectrogram(y=y, sr=22050, n_fft=2048, hop_length=1024, n_mels=40)
librosa.resample(y, orig_sr=44100, target_sr=22050)
librosa.power_to_db(np.abs(y) + 1.0)
"""


def cache_key() -> str:
    parts = [sys.executable, sys.version]
    for package in ("numba", "librosa", "numpy"):
        try:
            parts.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package} missing")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def warm_cache(root: Path, timeout: float = 900.0) -> Path | None:
    """The folder of the compiled cache under ``root``, built first if missing (None if it cannot be)."""
    final = Path(root) / cache_key()
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    # Graders started together (JOBS=n on a fresh machine) wait for the first one to build it,
    # instead of each compiling the same functions for 15 CPU-seconds. Where the file system
    # cannot lock (some network mounts), each builds its own copy and the first rename wins.
    with open(final.parent / f"{final.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:
            pass
        return final if final.is_dir() else _build(final, timeout)


def _build(final: Path, timeout: float) -> Path | None:
    # Built aside and renamed: a grader killed halfway leaves no half-built cache behind.
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=final.parent))
    try:
        if not _warm_up(["-E", "-s", "-B"], {"NUMBA_CACHE_DIR": str(building)}, timeout):
            return None
        try:
            os.replace(building, final)
        except OSError:  # another grader's copy was renamed first (no lock on this file system)
            pass
        return final if final.is_dir() else None
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _warm_up(flags: list[str], env: dict[str, str], timeout: float) -> bool:
    """Run WARM_UP in a new Python (numba compiles into the cache its environment names)."""
    try:
        done = subprocess.run([sys.executable, *flags, "-c", WARM_UP], env=dict(os.environ, OMP_NUM_THREADS="1", **env),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def compile_for_kit_and_sandbox(timeout: float = 900.0) -> tuple[bool, bool]:
    """Compile librosa's numba functions where the trusted side finds them (numba's own cache,
    beside librosa in the venv) and where the sandboxes do (:func:`warm_cache`): two
    processes at once, one per core. Returns whether each worked."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        sandbox = pool.submit(warm_cache, NUMBA_CACHE_ROOT, timeout)
        trusted = _warm_up([], {}, timeout)  # the user's own NUMBA_CACHE_DIR, if set, as for `make data`
        return trusted, sandbox.result() is not None


def main() -> int:
    started = time.monotonic()
    trusted, sandbox = compile_for_kit_and_sandbox()
    if trusted and sandbox:
        seconds = time.monotonic() - started
        print(f"compiled librosa's numba functions for the kit and for its sandbox in {seconds:.0f} s")
    else:  # not fatal: the first feature extraction compiles them instead, 15 CPU-seconds later
        print("WARNING: could not compile librosa's numba functions ahead (try: "
              f"{sys.executable} -c 'import librosa'); the first `make data` or `make grade` compiles them instead")
    return 0


if __name__ == "__main__":
    sys.exit(main())
