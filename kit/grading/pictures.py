"""The batch's pictures (matplotlib, PNG bytes): a student's training run, and the TA's overview.

Drawn on the trusted side from results.json (``extra_data`` of the accuracy check), never
from anything a student's process wrote as an image.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # no display on a grading machine
import matplotlib.pyplot as plt  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _finite(values) -> list[float]:
    out = []
    for value in values or []:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        out.append(number if math.isfinite(number) else math.nan)
    return out


def training_curve(curve: dict | None) -> bytes | None:
    """Training and validation loss per epoch, the best and the stop epoch marked; None without data."""
    if not curve:
        return None
    train, val = _finite(curve.get("train_losses")), _finite(curve.get("val_losses"))
    if not any(math.isfinite(v) for v in train + val):
        return None
    figure, axes = plt.subplots(figsize=(6, 3.4))
    if train:
        axes.plot(range(1, len(train) + 1), train, marker="o", markersize=3, label="training loss")
    if val:
        axes.plot(range(1, len(val) + 1), val, marker="o", markersize=3, label="validation loss")
    best, stop = curve.get("best_epoch"), curve.get("stop_epoch")
    if isinstance(best, int):
        axes.axvline(best, color="tab:green", linestyle="--", label=f"best epoch ({best})")
    if isinstance(stop, int):
        axes.axvline(stop, color="tab:red", linestyle=":", label=f"stopped after epoch {stop}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title("Your training run in the accuracy check")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _png(figure)


def score_histogram(scores: list[float], maximum: float) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 3))
    axes.hist(scores, bins=min(20, max(5, len(scores))), range=(0, maximum or 1), color="tab:blue", edgecolor="white")
    axes.set_xlabel(f"score (of {maximum:g})")
    axes.set_ylabel("submissions")
    axes.set_title("Scores")
    return _png(figure)


def pass_rates(rates: list[tuple[str, float]]) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 0.28 * len(rates) + 1))
    labels = [label for label, _ in rates][::-1]
    values = [100 * rate for _, rate in rates][::-1]
    axes.barh(labels, values, color="tab:green")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of submissions with full points")
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title("Pass rate per test")
    return _png(figure)


def grading_times(times: list[tuple[str, float]]) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 0.25 * len(times) + 1))
    labels = [label for label, _ in times][::-1]
    axes.barh(labels, [seconds for _, seconds in times][::-1], color="tab:orange")
    axes.set_xlabel("seconds in the graders")
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title("Time per submission")
    return _png(figure)
