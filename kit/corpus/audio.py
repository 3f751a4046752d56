"""Small deterministic audio helpers shared by the corpus generators."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SR = 22050
DURATION = 5.0
N_SAMPLES = int(SR * DURATION)
TOOL_TIMEOUT = 30  # seconds for one external synthesizer call


def to_mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    if sr_in == sr_out:
        return np.asarray(x, dtype=np.float64)
    ratio = Fraction(sr_out, sr_in).limit_denominator(2000)
    return resample_poly(np.asarray(x, dtype=np.float64), ratio.numerator, ratio.denominator)


def read_audio(path: str | Path, start: float = 0.0, length: float | None = None) -> np.ndarray:
    """Read a file (any libsndfile format) as mono float64 at SR, optionally a window in seconds."""
    with sf.SoundFile(str(path)) as handle:
        sr = handle.samplerate
        first = int(start * sr)
        if first:
            handle.seek(min(first, max(handle.frames - 1, 0)))
        frames = -1 if length is None else int(length * sr) + 1
        data = handle.read(frames, dtype="float64", always_2d=True)
    return resample(to_mono(data), sr)


def read_raw16(path: str | Path, sr: int = 16000) -> np.ndarray:
    data = np.fromfile(str(path), dtype="<i2").astype(np.float64) / 32768.0
    return resample(data, sr)


def duration_of(path: str | Path) -> float:
    info = sf.info(str(path))
    return info.frames / info.samplerate


def run_tool(cmd: list[str], out: Path, stdin: str | None = None) -> np.ndarray:
    """Run an external synthesizer that writes a WAV file ``out``; return it mono at SR."""
    subprocess.run(cmd, input=stdin, text=True, check=True, timeout=TOOL_TIMEOUT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return read_audio(out)


def trim(x: np.ndarray, threshold_db: float = -40.0, frame: int = 256) -> np.ndarray:
    """Cut leading and trailing frames quieter than ``threshold_db`` below the peak frame."""
    if x.size < frame:
        return x
    n = x.size // frame
    energy = (x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    peak = energy.max()
    if peak <= 0:
        return x[:0]
    active = np.flatnonzero(energy >= peak * 10 ** (threshold_db / 10))
    return x[active[0] * frame : (active[-1] + 1) * frame]


def fade(x: np.ndarray, ms: float = 8.0) -> np.ndarray:
    n = min(int(SR * ms / 1000), x.size // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n)
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x)) + 1e-20)


def join(segments: list[np.ndarray], rng: np.random.Generator, gap: tuple[float, float]) -> np.ndarray:
    """Concatenate segments with random silent gaps of ``gap`` seconds (min, max)."""
    parts = []
    for i, seg in enumerate(segments):
        if i:
            parts.append(np.zeros(int(rng.uniform(*gap) * SR)))
        parts.append(fade(seg))
    return np.concatenate(parts) if parts else np.zeros(0)


def window(x: np.ndarray, rng: np.random.Generator, n: int = N_SAMPLES) -> tuple[np.ndarray, float]:
    """A random window of n samples (zero-padded if x is shorter); returns (window, offset s)."""
    if x.size <= n:
        return np.pad(x, (0, n - x.size)), 0.0
    start = int(rng.integers(0, x.size - n + 1))
    return x[start : start + n], start / SR
