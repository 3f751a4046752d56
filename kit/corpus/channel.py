"""The shared "channel" stage, applied identically (same distribution) to both classes.

Random level, band limit, additive noise and small-room reverb, so that loudness,
bandwidth or silent pauses alone do not give the class away. Every random draw is made
unconditionally and in a fixed order, so one clip's settings never shift another's.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, sosfiltfilt

from .audio import SR

P_BAND, P_NOISE, P_REVERB = 0.35, 0.35, 0.25
LEVEL_DB = (-32.0, -16.0)
SNR_DB = (15.0, 40.0)
PEAK = 0.99


def _colored_noise(rng: np.random.Generator, n: int, kind: str, sr: int = SR) -> np.ndarray:
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / sr)
    f[0] = f[1]
    spec /= np.sqrt(f) if kind == "pink" else f
    return np.fft.irfft(spec, n)


def apply(x: np.ndarray, rng: np.random.Generator, sr: int = SR) -> tuple[np.ndarray, dict]:
    """``x`` (at ``sr`` Hz) through a random channel; the settings drawn, for sources.csv."""
    n = x.size
    # --- all draws up front ---
    do_reverb = rng.random() < P_REVERB
    rt60 = float(rng.uniform(0.15, 0.6))
    wet = float(rng.uniform(0.2, 0.6))
    ir_noise = rng.standard_normal(int(sr * 0.6))
    do_band = rng.random() < P_BAND
    telephone = rng.random() < 0.4
    low = 300.0 if telephone else float(rng.uniform(60, 500))
    high = 3400.0 if telephone else float(rng.uniform(2500, 9000))
    high = min(high, 0.45 * sr)  # below Nyquist at 16 kHz too
    do_noise = rng.random() < P_NOISE
    snr = float(rng.uniform(*SNR_DB))
    noise_kind = str(rng.choice(["white", "pink", "brown"]))
    noise = _colored_noise(rng, n, noise_kind, sr)
    level = float(rng.uniform(*LEVEL_DB))

    y = np.asarray(x, dtype=np.float64)
    info: dict = {}
    if do_reverb:
        m = int(sr * rt60)
        t = np.arange(m) / sr
        ir = ir_noise[:m] * np.exp(-6.9 * t / rt60)
        ir *= wet / (np.sqrt(np.sum(ir**2)) + 1e-12)
        ir[0] += 1.0 - wet
        y = fftconvolve(y, ir)[:n]
        info["reverb"] = f"rt60={rt60:.2f}s wet={wet:.2f}"
    if do_band:
        sos = butter(4, [low, high], btype="bandpass", fs=sr, output="sos")
        y = sosfiltfilt(sos, y)
        info["band"] = f"{low:.0f}-{high:.0f}Hz"
    if do_noise:
        p_sig = np.mean(y**2) + 1e-20
        noise *= np.sqrt(p_sig / (np.mean(noise**2) + 1e-20) / 10 ** (snr / 10))
        y = y + noise
        info["noise"] = f"{noise_kind} snr={snr:.1f}dB"
    rms = np.sqrt(np.mean(y**2)) + 1e-20
    y = y * (10 ** (level / 20) / rms)
    peak = np.abs(y).max()
    if peak > PEAK:
        y *= PEAK / peak
    info["level"] = f"{20 * np.log10(np.sqrt(np.mean(y**2)) + 1e-20):.1f}dBFS"
    return y, info
