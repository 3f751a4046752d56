"""The batch's pictures (matplotlib, PNG bytes): the figures graders attach, and the TA's overview.

Drawn on the trusted side from results.json (a test's ``extra_data["figures"]``), never from
anything a student's process wrote as an image.
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


MARK_STYLES = {"best": ("tab:green", "--"), "stop": ("tab:red", ":")}


def curves(figure_spec: dict) -> bytes | None:
    """A figure a grader attached (``extra_data["figures"]``, kind "curves"): ``series`` {label: values
    per step}, ``marks`` [{"x", "label", "style": best|stop|other}], ``title``, ``x_label``, ``y_label``.
    None when no series holds a finite value."""
    series = {str(label): _finite(values) for label, values in (figure_spec.get("series") or {}).items()}
    if not any(math.isfinite(v) for values in series.values() for v in values):
        return None
    figure, axes = plt.subplots(figsize=(6, 3.4))
    for label, values in series.items():
        if values:
            axes.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    for mark in figure_spec.get("marks") or []:
        if isinstance(mark.get("x"), (int, float)):
            color, line = MARK_STYLES.get(mark.get("style"), ("tab:grey", "-."))
            axes.axvline(mark["x"], color=color, linestyle=line, label=str(mark.get("label", "")))
    axes.set_xlabel(str(figure_spec.get("x_label", "")))
    axes.set_ylabel(str(figure_spec.get("y_label", "")))
    axes.set_title(str(figure_spec.get("title", "")))
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
