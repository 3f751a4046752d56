"""Held-out accuracy of ex03 (intent = the highest logit), shared by the accuracy grader (5.6), the kit's
threshold test and ``make calibrate`` (``reference_accuracy``: the hook it looks for in a grader folder).

The grading view has one folder per input kind (config.toml ``[features.<kind>]``); the sandbox gets
the public part of each (train, validation and the unlabelled holdout), never the labels beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kit.grader import GradingContext

KINDS = ("log_mel", "waveform")


def input_folders(grading: GradingContext) -> dict[str, Path]:
    """Sandbox folder name -> the public view of that input kind (no labels of held-out clips)."""
    return {kind: grading.features / kind / "public" for kind in KINDS}


def n_intents(grading: GradingContext) -> int:
    return len(grading.config.class_names(grading.dataset))


def accuracy_request(grading: GradingContext, *, seed: int | None = None) -> dict[str, Any]:
    settings = grading.settings("accuracy")
    return {"seed": settings["seed"] if seed is None else seed, "max_epochs": settings["max_epochs"],
            "batch_size": settings["batch_size"], "n_intents": n_intents(grading)}


def heldout_labels(view: Path) -> dict[str, int]:
    # The same anonymous names and labels in every kind's view (same clips, same shuffle).
    return json.loads((view / KINDS[0] / "heldout_labels.json").read_text())


def predictions_accuracy(logits: np.ndarray, labels) -> float:
    return float(np.mean(np.asarray(logits).argmax(axis=1) == np.asarray(labels)))


def confusion(logits: np.ndarray, labels, classes: list[str]) -> dict[str, Any]:
    """``counts[true][predicted]`` for the feedback page's confusion matrix (``tables`` extra data)."""
    predicted = np.asarray(logits).argmax(axis=1)
    truth = np.asarray(labels)
    counts = [[int(np.sum((truth == t) & (predicted == p))) for p in range(len(classes))] for t in range(len(classes))]
    return {"classes": list(classes), "counts": counts}


def run_accuracy(grading: GradingContext, seed: int | None = None):
    return grading.probe("accuracy", accuracy_request(grading, seed=seed), folders=input_folders(grading))


def scored(grading: GradingContext, result) -> tuple[float, np.ndarray, list[int]]:
    """(accuracy, logits, labels) of an accuracy probe's response; ValueError when it is malformed."""
    labels = heldout_labels(grading.features)
    names = result.response["heldout_names"]
    if sorted(names) != sorted(labels):
        raise ValueError("the held-out predictions do not name the held-out clips")
    logits = np.asarray(result.arrays["heldout_logits"], dtype=np.float64)
    if logits.shape != (len(names), n_intents(grading)):
        raise ValueError(f"held-out logits of shape {logits.shape}")
    truth = [labels[name] for name in names]
    return predictions_accuracy(logits, truth), logits, truth


def reference_accuracy(grading: GradingContext, seed: int) -> tuple[float, int]:
    """(held-out accuracy, number of held-out clips) of the submission trained with ``seed``, as 5.6 measures it."""
    result = run_accuracy(grading, seed)
    if not result.ok:
        raise RuntimeError(f"seed {seed}: {result.describe()}")
    accuracy, _, truth = scored(grading, result)
    return accuracy, len(truth)
