"""Held-out accuracy of ex02 (music vs speech: class 1 where the logit is positive), shared by the
accuracy grader (4.4), the kit's threshold test and ``make calibrate`` (``reference_accuracy``: the
hook the calibration looks for in an assignment's grader folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kit.data.manifest import SPLIT_FOLDERS
from kit.grader import GradingContext


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


def confusion_counts(logits: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """Held-out confusion counts, ``counts[true][predicted]``, for the student's feedback; ``classes``:
    the dataset's class names (``kit.data.cache.class_names``)."""
    predicted = (np.asarray(logits) > 0).astype(np.int64)
    truth = np.asarray(labels, dtype=np.int64)
    counts = [[int(np.sum((truth == t) & (predicted == p))) for p in (0, 1)] for t in (0, 1)]
    return {"classes": list(classes), "counts": counts}


def reference_accuracy(grading: GradingContext, seed: int) -> tuple[float, int]:
    """(held-out accuracy, number of held-out clips) of the submission in ``grading`` trained with ``seed``,
    as test 4.4 measures it; raises RuntimeError saying why when the training gave no predictions."""
    request = accuracy_request(grading.settings("accuracy"), grading.features, seed=seed)
    result = grading.probe("accuracy", request, folders={"data": grading.features / "public"})
    if not result.ok:
        raise RuntimeError(f"seed {seed}: {result.describe()}")
    labels = heldout_labels(grading.features)
    names = result.response["heldout_names"]
    return predictions_accuracy(result.arrays["heldout_logits"], [labels[n] for n in names]), len(names)
