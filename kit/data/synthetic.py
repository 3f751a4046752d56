"""A GTZAN-shaped tree of synthetic audio, for benchmarks and end-to-end tests of the TA path.

Every clip of the GTZAN manifest, 30 s, 22050 Hz, 16-bit mono WAV, in the original
``music_wav/`` + ``speech_wav/`` layout. Music is a few harmonics of a random note; speech is
noise bursts at a syllable-like rate. Easy to tell apart, which is all a pipeline test needs.
"""

from __future__ import annotations

from pathlib import Path

from kit.data.cache import MANIFEST_DIR
from kit.data.manifest import load_manifest


def write_synthetic_gtzan(root: Path, seed: int = 0) -> int:
    """Write the tree under ``root``; returns the number of clips written."""
    import numpy as np
    import soundfile

    manifest = load_manifest(MANIFEST_DIR / "gtzan_music_speech.json")
    sr, n = 22050, 30 * 22050
    t = np.arange(n) / sr
    rng = np.random.default_rng(seed)
    for clip in manifest.clips:
        if clip.label == "music":
            f0 = 110 * 2 ** (rng.integers(0, 24) / 12)
            audio = sum(0.2 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 5))
        else:
            envelope = (np.sin(2 * np.pi * rng.uniform(3, 5) * t) > 0.2).astype(float)
            audio = 0.3 * envelope * rng.standard_normal(n)
        path = Path(root) / clip.path
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), audio.astype(np.float32), sr, subtype="PCM_16")
    return len(manifest.clips)
