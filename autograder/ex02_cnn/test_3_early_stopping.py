"""3. Early stopping, graded on tables of scripted validation losses.

The rule (handout): epochs count from 1; an epoch improves when
``val_loss < best - min_delta``; training stops after ``patience`` epochs in a row without
improvement, at ``max_epochs``, or at once when the validation loss is not finite; the best
epoch's weights are restored in the model.
"""

import math
from dataclasses import dataclass

import pytest

from kit.grading.pytest_plugin import fail, require

NAN = float("nan")


@dataclass(frozen=True)
class Case:
    label: str
    losses: tuple
    patience: int
    max_epochs: int
    min_delta: float
    stop_epoch: int
    best_epoch: int

    def request(self):
        # Losses beyond the stop epoch are there so a late stopper has something to read.
        return {"losses": [None if math.isnan(x) else x for x in self.losses], "patience": self.patience,
                "max_epochs": self.max_epochs, "min_delta": self.min_delta}


CASES = [
    Case("stops when patience runs out", (1.0, 0.8, 0.6, 0.7, 0.65, 0.9, 0.5, 0.4, 0.3, 0.2),
         patience=3, max_epochs=20, min_delta=0.0, stop_epoch=6, best_epoch=3),
    Case("an improvement resets the patience counter", (1.0, 1.1, 0.9, 1.0, 0.95, 0.8, 0.7, 0.6),
         patience=2, max_epochs=20, min_delta=0.0, stop_epoch=5, best_epoch=3),
    Case("max_epochs caps training", (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3),
         patience=5, max_epochs=4, min_delta=0.0, stop_epoch=4, best_epoch=4),
    Case("an equal loss is not an improvement", (0.7, 0.7, 0.7, 0.7, 0.1, 0.1),
         patience=3, max_epochs=20, min_delta=0.0, stop_epoch=4, best_epoch=1),
    Case("improvements smaller than min_delta do not count", (1.0, 0.97, 0.96, 0.5, 0.4, 0.3),
         patience=2, max_epochs=20, min_delta=0.05, stop_epoch=3, best_epoch=1),
    Case("improvements larger than min_delta count", (1.0, 0.9, 0.89, 0.88, 0.2, 0.1),
         patience=2, max_epochs=20, min_delta=0.05, stop_epoch=4, best_epoch=2),
    Case("a NaN validation loss stops training at once", (1.0, 0.8, NAN, 0.5, 0.4, 0.3, 0.2),
         patience=5, max_epochs=20, min_delta=0.0, stop_epoch=3, best_epoch=2),
    Case("patience counts epochs, not losses seen", (0.5, 0.6, 0.4, 0.45, 0.44, 0.43, 0.42, 0.41),
         patience=4, max_epochs=30, min_delta=0.0, stop_epoch=7, best_epoch=3),
]
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def runs(grading):
    """The student's train() on every case, from one sandboxed run."""
    result = grading.probe("early_stopping", {"cases": [case.request() for case in CASES]})
    return require(result, "running train() on scripted validation losses")["cases"]


def _history_value(history, key, case):
    if key not in history:
        fail(f"[{case.label}] the dict returned by train() has no {key!r} key (it has {sorted(history)})")
    return history[key]


def _as_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.number(f"3.{i}"), id=c.label.replace(" ", "_"))
     for i, c in enumerate(CASES, start=1)],
)
def test_early_stopping(runs, case):
    """Early stopping: {case}"""
    run = runs[CASES.index(case)]
    setting = f"patience={case.patience}, max_epochs={case.max_epochs}, min_delta={case.min_delta}"
    scripted = ", ".join("nan" if math.isnan(x) else f"{x:g}" for x in case.losses[: case.stop_epoch + 2])
    where = f"[{case.label}] with {setting} and validation losses {scripted}, ..."
    if "failure" in run:
        failure = run["failure"]
        fail(f"{where}: train() raised {failure['type']}: {failure['message']}\n{failure.get('where', '')}".rstrip())
    history = run["history"]
    epochs_run = run["train_passes"]
    if epochs_run != case.stop_epoch:
        fail(f"{where}: trained for {epochs_run} epochs, expected to stop after epoch {case.stop_epoch}")
    if run["val_passes"] < epochs_run:
        fail(f"{where}: validated {run['val_passes']} times in {epochs_run} epochs; validate every epoch")
    stop = _history_value(history, "stop_epoch", case)
    if stop != case.stop_epoch:
        fail(f"{where}: returned stop_epoch={stop!r}, expected {case.stop_epoch} (epochs count from 1)")
    best = _history_value(history, "best_epoch", case)
    if best != case.best_epoch:
        fail(f"{where}: returned best_epoch={best!r}, expected {case.best_epoch}")
    val_losses = _history_value(history, "val_losses", case)
    if not isinstance(val_losses, list) or len(val_losses) != case.stop_epoch:
        fail(f"{where}: val_losses should hold one value per epoch run ({case.stop_epoch}), got {val_losses!r}")
    for epoch, (got, expected) in enumerate(zip(val_losses, case.losses), start=1):
        got = _as_float(got)
        same = got is not None and (math.isnan(expected) and math.isnan(got) or abs(got - expected) <= TOLERANCE)
        if not same:
            fail(f"{where}: val_losses[{epoch - 1}] is {got!r}, expected {expected:g}: report the mean "
                 "BCEWithLogitsLoss over the validation loader")
    train_losses = _history_value(history, "train_losses", case)
    if not isinstance(train_losses, list) or len(train_losses) != case.stop_epoch:
        fail(f"{where}: train_losses should hold one value per epoch run ({case.stop_epoch}), got {train_losses!r}")
    restored = run["restored_epoch"]
    if restored != case.best_epoch:
        fail(f"{where}: after train() the model holds the weights of epoch {restored:g}, expected the "
             f"best epoch's ({case.best_epoch}): restore them with model.load_state_dict(...)")
