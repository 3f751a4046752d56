"""Held-out accuracy, shared by the ex02 accuracy grader and the kit's threshold test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kit.data.manifest import CLASS_NAMES, SPLIT_FOLDERS


def accuracy_request(settings: dict[str, Any], view: Path, *, seed: int | None = None) -> dict[str, Any]:
    """What the accuracy probe needs: budgets from config, and the feature shape of the dataset."""
    sample = next((view / "public" / SPLIT_FOLDERS["train"]).glob("*.npz"))
    with np.load(sample, allow_pickle=False) as data:
        frames, mels = data["features"].shape
    return {"seed": settings["seed"] if seed is None else seed, "max_epochs": settings["max_epochs"],
            "batch_size": settings["batch_size"], "frames": int(frames), "mels": int(mels)}


def heldout_labels(view: Path) -> dict[str, int]:
    return json.loads((view / "heldout_labels.json").read_text())


def predictions_accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Class 1 (music) where the logit is positive."""
    return float(np.mean((np.asarray(logits) > 0).astype(np.int64) == np.asarray(labels)))


def confusion_counts(logits: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Held-out confusion counts, ``counts[true][predicted]``, for the student's feedback."""
    predicted = (np.asarray(logits) > 0).astype(np.int64)
    truth = np.asarray(labels, dtype=np.int64)
    counts = [[int(np.sum((truth == t) & (predicted == p))) for p in (0, 1)] for t in (0, 1)]
    return {"classes": list(CLASS_NAMES), "counts": counts}
