"""Helpers for the data tests: tiny fake datasets derived from the real manifests.

Not a test module. Fake trees use the real GTZAN manifest cut down to a few clips and a short
nominal duration (``Manifest.model_copy``), so the layout code under test is the real one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile

from kit.data.manifest import SPLIT_FOLDERS, Manifest, load_manifest

REPO = Path(__file__).resolve().parents[1]
GTZAN_MANIFEST = REPO / "data_manifests" / "gtzan_music_speech.json"
SHORT = 0.5  # seconds per fake clip


def write_wav(path: Path, seconds: float = SHORT, sr: int = 22050, channels: int = 1,
              subtype: str = "PCM_16", seed: int = 0, fmt: str | None = None) -> Path:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    tone = 0.3 * np.sin(2 * np.pi * (200 + 50 * seed) * t) + 0.05 * rng.standard_normal(n)
    data = np.repeat(tone[:, None], channels, axis=1).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), data, sr, subtype=subtype, format=fmt)
    return path


def fake_gtzan_manifest(per_split: int = 1, duration: float = SHORT) -> Manifest:
    """The real GTZAN manifest with ``per_split`` clips per class and split, ``duration`` s each."""
    real = load_manifest(GTZAN_MANIFEST)
    clips = []
    for label in real.dataset.labels:
        for split in SPLIT_FOLDERS:
            chosen = [c for c in real.clips if c.label == label and c.split == split][:per_split]
            clips += [c.model_copy(update={"duration": duration}) for c in chosen]
    audio = real.dataset.audio.model_copy(update={"nominal_duration": duration, "duration_tolerance": 0.05})
    dataset = real.dataset.model_copy(update={"audio": audio})
    return real.model_copy(update={"dataset": dataset, "clips": clips})


def build_original(root: Path, manifest: Manifest) -> Path:
    """Clips at their manifest paths (music_wav/, speech_wav/)."""
    for i, clip in enumerate(manifest.clips):
        write_wav(root / clip.path, clip.duration, seed=i)
    return root


def build_pre_split(root: Path, manifest: Manifest, moves: dict[str, str] | None = None) -> Path:
    """training/ validation/ testing/ with clips in varied sub-folders; ``moves`` overrides splits."""
    subfolders = ["", "{label}", "{label}_wav", "deeper/{label}s"]
    for i, clip in enumerate(manifest.clips):
        split = (moves or {}).get(clip.stem, clip.split)
        sub = subfolders[i % len(subfolders)].format(label=clip.label)
        write_wav(root / SPLIT_FOLDERS[split] / sub / Path(clip.path).name, clip.duration, seed=i)
    return root


def fake_flac_dataset(root: Path, n_per_class: int = 3, duration: float = SHORT) -> Manifest:
    """An embedded-corpus-like dataset: FLAC clips with sha256 in the manifest."""
    real = fake_gtzan_manifest()
    clips = []
    i = 0
    for label in real.dataset.labels:
        for k in range(n_per_class):
            split = ["train", "val", "test"][k % 3]
            rel = f"{label}/{label}_{k:03d}.flac"
            write_wav(root / rel, duration, seed=i, fmt="FLAC")
            digest = hashlib.sha256((root / rel).read_bytes()).hexdigest()
            clips.append({"path": rel, "label": label, "split": split, "duration": duration, "sha256": digest})
            i += 1
    audio = real.dataset.audio.model_copy(update={"container": "FLAC", "nominal_duration": duration,
                                                  "duration_tolerance": 0.05})
    dataset = real.dataset.model_copy(update={"id": "fake_flac", "audio": audio, "archive": None})
    return Manifest.model_validate({"schema_version": 1, "dataset": dataset.model_dump(), "clips": clips})
