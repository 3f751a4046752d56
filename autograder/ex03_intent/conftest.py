"""Fixtures shared by the ex03 hidden graders: one probe run serves several tests.

Probes: ``formulas`` (part 1), ``dataset`` (part 2, on a grader-made data folder), ``model``
(part 3, torch.rand input), ``training`` (train() on scripted validation predictions),
``metrics`` (the metrics and evaluate() on scripted logits), ``main`` (the script as a student
runs it) and ``accuracy`` (the student's model trained by the student's train(), predicting
held-out clips). Expected values are computed here, on the trusted side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from heldout_accuracy import accuracy_request, input_folders
from kit.data.features import FeatureParams, fit_length, log_mel
from kit.grader import GradingContext, grading_context, memoized

# The handout's data constants.
SAMPLE_RATE, CLIP_SAMPLES = 16000, 64000
LOG_MEL = FeatureParams(sample_rate=SAMPLE_RATE, n_fft=512, hop_length=256, n_mels=40, duration=4.0)
N_FRAMES = LOG_MEL.n_frames  # 251
SHAPES = {"waveform": (CLIP_SAMPLES,), "log_mel": (N_FRAMES, 40)}
MANIFEST_SPLITS = ("train", "val", "test")
SCRIPT_EPOCHS = 2  # the script run: python training_intent_<name>.py data --max-epochs 2


def pytest_sessionstart(session):
    """The held-out accuracy (5.6) trains for longest: with a core to spare it starts now."""
    grading = grading_context(session.config)
    if grading.features is not None:
        grading.prefetch("accuracy", accuracy_request(grading), folders=input_folders(grading))


@dataclass(frozen=True)
class GraderClip:
    path: str  # relative to the data folder
    intent: str
    split: str
    seconds: float


# Intents in an order that is not sorted, clips not grouped by split or intent, paths that tell neither.
INTENTS = ["weather_query", "alarm_set", "play_music", "news_query"]
CLIPS = [
    GraderClip("audio/c07.flac", "play_music", "train", 1.3),
    GraderClip("audio/c02.flac", "weather_query", "val", 4.9),
    GraderClip("audio/c11.flac", "alarm_set", "train", 4.0),
    GraderClip("audio/c04.flac", "news_query", "test", 2.2),
    GraderClip("audio/c09.flac", "weather_query", "train", 5.6),
    GraderClip("audio/c01.flac", "news_query", "train", 0.7),
    GraderClip("audio/c05.flac", "alarm_set", "val", 1.9),
    GraderClip("audio/c12.flac", "play_music", "test", 3.1),
    GraderClip("audio/c03.flac", "alarm_set", "train", 2.6),
    GraderClip("audio/c10.flac", "play_music", "train", 3.3),
    GraderClip("audio/c06.flac", "weather_query", "test", 1.1),
    GraderClip("audio/c08.flac", "news_query", "val", 2.9),
    GraderClip("audio/c13.flac", "news_query", "train", 4.4),
    GraderClip("audio/c14.flac", "alarm_set", "train", 1.6),
    GraderClip("audio/c15.flac", "weather_query", "train", 3.7),  # 9 training clips: a smaller last batch
]
LOADER_BATCH = 2  # get_data_loaders(data, 2, kind) in the dataset probe


def clip_audio(index: int, seconds: float) -> np.ndarray:
    """Speech-like noise bursts with a tone, different for every clip; never silent at its ends."""
    rng = np.random.default_rng(1000 + index)
    n = int(round(seconds * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    envelope = 0.4 + 0.3 * np.sin(2 * np.pi * (1.5 + index * 0.2) * t) ** 2
    audio = envelope * (0.3 * rng.standard_normal(n) + np.sin(2 * np.pi * (200 + 40 * index) * t))
    return (audio / np.max(np.abs(audio)) * 0.8).astype(np.float32)


def write_data_folder(folder: Path) -> Path:
    """The grader-made data folder: manifest.json and 16-bit FLAC clips, the release's layout."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for index, clip in enumerate(CLIPS):
        path = folder / clip.path
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, clip_audio(index, clip.seconds), SAMPLE_RATE, subtype="PCM_16")
        clips.append({"path": clip.path, "label": clip.intent, "split": clip.split, "duration": clip.seconds})
    manifest = {"schema_version": 1, "dataset": {"id": "grader_tiny", "labels": INTENTS, "sample_rate": SAMPLE_RATE},
                "clips": clips}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder


def stored_audio(folder: Path, clip: GraderClip) -> np.ndarray:
    """The clip as the student's code reads it back from the FLAC file (16-bit quantised)."""
    audio, _ = soundfile.read(folder / clip.path, dtype="float32")
    return audio


def expected_input(folder: Path, clip: GraderClip, kind: str) -> np.ndarray:
    audio = fit_length(stored_audio(folder, clip), CLIP_SAMPLES)
    if kind == "waveform":
        return audio
    return memoized(log_mel, audio, LOG_MEL, libraries=("librosa", "numpy", "scipy", "numba", "soundfile"))


@pytest.fixture(scope="session")
def data_folder(tmp_path_factory) -> Path:
    return write_data_folder(tmp_path_factory.mktemp("italic_tiny") / "data")


@pytest.fixture(scope="session")
def dataset_probe(grading: GradingContext, data_folder):
    return grading.probe("dataset", {"data": "data", "splits": list(MANIFEST_SPLITS), "batch_size": LOADER_BATCH},
                         folders={"data": data_folder})


@pytest.fixture(scope="session")
def model_probe(grading: GradingContext):
    settings = [{"n_intents": 10, "batch": 3, "seed": 1}, {"n_intents": 10, "batch": 1, "seed": 2},
                {"n_intents": 3, "batch": 2, "seed": 3}, {"n_intents": 60, "batch": 4, "seed": 4}]
    return grading.probe("model", {"settings": settings})


@pytest.fixture(scope="session")
def main_probe(grading: GradingContext, data_folder):
    return grading.probe("main", {"data": "data", "n_intents": len(INTENTS), "max_epochs": SCRIPT_EPOCHS,
                                  "args": ["--max-epochs", str(SCRIPT_EPOCHS)]},
                         folders={"data": data_folder})


@pytest.fixture(scope="session")
def output_kind(model_probe) -> str:
    """What the student's forward returns, read from its outputs on torch.rand input: "logits", or
    "log_probabilities" (ends in a log-softmax: fine with CrossEntropyLoss or NLLLoss), or
    "probabilities" (ends in a softmax: charged by 3.4 alone). train() is then given outputs of the
    same kind by the scripted models, so that a loss written for the student's own model (NLLLoss on
    a log-softmax, or on the log of a softmax) is judged as it is used."""
    rows = []
    for index, setting in enumerate((model_probe.response or {}).get("settings") or []):
        array = model_probe.arrays.get(f"eval_{index}")
        if isinstance(setting, dict) and array is not None and np.ndim(array) == 2 and np.size(array):
            rows.append(np.asarray(array, dtype=np.float64))
    if not rows:
        return "logits"
    if all(o.min() >= 0 and np.allclose(o.sum(axis=1), 1.0, atol=1e-4) for o in rows):
        return "probabilities"
    if all(o.max() <= 1e-6 and np.allclose(np.exp(o).sum(axis=1), 1.0, atol=1e-4) for o in rows):
        return "log_probabilities"
    return "logits"
