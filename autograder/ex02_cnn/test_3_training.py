"""3. train(): early stopping on tables of scripted validation losses, and how it trains.

The rule (handout): epochs count from 1; an epoch improves when ``val_loss < best -
min_delta``; training stops after ``patience`` epochs in a row without improvement, at
``max_epochs``, or at once when the validation loss is not finite; the best epoch's weights
are restored in the model.

Each property is its own test over its own tables, so that one bug costs one deduction:
the tables of one property are built so that a bug of another property does not change
what they judge (losses after the stop epoch never beat the best one, for instance, so a
late stop does not also move the best epoch). Partial credit: the fraction of tables right.
"""

import math
from dataclasses import dataclass

import pytest
from probe_schemas import TrainingResponse

from kit.grader import NotApplicable, Scenarios, check_exists, describe_failure, fail, require

NAN, INF = float("nan"), float("inf")
# A learning rate no one types by accident, to see that train() passes lr to Adam.
LEARNING_RATE = 0.0037
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Case:
    id: str
    label: str
    losses: tuple
    patience: int
    max_epochs: int
    min_delta: float
    stop_epoch: int
    best_epoch: int | None

    def request(self):
        return {"id": self.id, "losses": [x if math.isfinite(x) else str(x) for x in self.losses],
                "patience": self.patience, "max_epochs": self.max_epochs, "min_delta": self.min_delta}

    def describe(self):
        shown = ", ".join(f"{x:g}" for x in self.losses[: self.stop_epoch + 2])
        return (f"[{self.label}] patience={self.patience}, max_epochs={self.max_epochs}, "
                f"min_delta={self.min_delta:g}, validation losses {shown}, ...")


# Stopping: finite losses, min_delta 0, no ties; after the stop epoch no loss beats the best.
STOPPING = [
    Case("patience", "stops when patience runs out", (1.0, 0.8, 0.6, 0.7, 0.65, 0.9, 0.62, 0.61, 0.64, 0.63),
         patience=3, max_epochs=20, min_delta=0.0, stop_epoch=6, best_epoch=3),
    Case("reset", "an improvement resets the patience counter", (1.0, 1.1, 0.9, 1.0, 0.95, 0.92, 0.93, 0.91),
         patience=2, max_epochs=20, min_delta=0.0, stop_epoch=5, best_epoch=3),
    Case("max_epochs", "max_epochs caps training", (1.0, 0.9, 0.8, 0.7, 0.75, 0.8, 0.85),
         patience=5, max_epochs=4, min_delta=0.0, stop_epoch=4, best_epoch=4),
    Case("counts_epochs", "patience counts epochs in a row", (0.5, 0.6, 0.4, 0.45, 0.44, 0.43, 0.42, 0.41, 0.46),
         patience=4, max_epochs=30, min_delta=0.0, stop_epoch=7, best_epoch=3),
    Case("short", "patience 2", (0.9, 0.8, 0.85, 0.84, 0.83, 0.82),
         patience=2, max_epochs=20, min_delta=0.0, stop_epoch=4, best_epoch=2),
]
# The improvement rule: ties and min_delta. Judged by the number of epochs run.
RULE = [
    Case("tie", "an equal loss is not an improvement", (0.7, 0.7, 0.7, 0.7, 0.71, 0.72),
         patience=3, max_epochs=20, min_delta=0.0, stop_epoch=4, best_epoch=1),
    Case("delta_small", "improvements by less than min_delta do not count", (1.0, 0.97, 0.965, 0.96, 0.955),
         patience=2, max_epochs=20, min_delta=0.05, stop_epoch=3, best_epoch=1),
    Case("delta_large", "improvements by more than min_delta count", (1.0, 0.9, 0.89, 0.88, 0.87),
         patience=2, max_epochs=20, min_delta=0.05, stop_epoch=4, best_epoch=2),
    Case("delta_absolute", "min_delta is absolute, not relative", (0.2, 0.17, 0.165, 0.16, 0.158),
         patience=2, max_epochs=20, min_delta=0.05, stop_epoch=3, best_epoch=1),
]
# Non-finite losses stop training at once; later losses would not improve anyway.
NON_FINITE = [
    Case("nan", "a NaN validation loss stops training at once", (1.0, 0.8, NAN, 0.9, 0.95, 0.85, 0.99),
         patience=5, max_epochs=20, min_delta=0.0, stop_epoch=3, best_epoch=2),
    Case("inf", "an infinite validation loss stops training at once", (0.5, 0.45, INF, 0.6, 0.7, 0.8),
         patience=4, max_epochs=20, min_delta=0.0, stop_epoch=3, best_epoch=2),
    Case("nan_first", "NaN in the first epoch: nothing improved", (NAN, 0.5, 0.4),
         patience=3, max_epochs=20, min_delta=0.0, stop_epoch=1, best_epoch=None),
]
CASES = STOPPING + RULE + NON_FINITE
KEYS = ("train_losses", "val_losses", "stop_epoch", "best_epoch")


@pytest.fixture(scope="module")
def runs(grading):
    """The student's train() on every table, from one sandboxed run."""
    result = grading.probe("training", {"cases": [c.request() for c in CASES], "lr": LEARNING_RATE})
    response = require(result, "running train() on scripted validation losses", partial=True, schema=TrainingResponse)
    return response.get("cases", {}), result, response.get("probabilities")


def _run(runs, case, *, judges_parameters=False, judges_runaway=False):
    """The run of one table, or fail the scenario saying why there is none.

    A table that needs a parameter train() does not take (min_delta) was not run: the check of
    that rule (``judges_parameters``) fails it, the others do not count it. A train() still
    training at the probe's ``runaway_epochs`` (100 on every table) was stopped there and returned
    nothing: only the checks of what it did on the way (``judges_runaway``: modes, optimizer,
    gradients) judge it.
    """
    done, result, _ = runs
    run = done.get(case.id)
    if run is None:
        fail(f"{case.describe()}: train() did not finish: {result.describe()}")
    if run.get("not_applicable"):
        raise NotApplicable(run["not_applicable"])
    if run.get("missing_parameter"):
        if not judges_parameters:
            raise NotApplicable(run["missing_parameter"])
        fail(f"{case.describe()}: train() has no {run['missing_parameter']} parameter, so this table could not be "
             "run; keep the handout's signature train(model, train_loader, val_loader, *, max_epochs, patience, "
             "min_delta, lr, device)")
    if "failure" in run:
        fail(describe_failure(run["failure"], doing=f"{case.describe()}: train()"))
    if run.get("ran_away") and not judges_runaway:
        fail(f"{case.describe()}: train() was still training after {run['train_passes']} epochs, so the grader "
             f"stopped it; it should stop after epoch {case.stop_epoch}. End the epoch loop when patience runs out, "
             "at max_epochs, and at a non-finite validation loss")
    if run["train_passes"] == 0 or run["val_passes"] == 0:
        loader = "training" if run["train_passes"] == 0 else "validation"
        fail(f"{case.describe()}: train() returned without iterating over the {loader} loader, so there is "
             "nothing to judge: train for one epoch after another and validate after each")
    return run


def _history(run, case):
    if "history" not in run:
        fail(f"{case.describe()}: train() returned a {run['history_type']}, expected a dict with keys {', '.join(KEYS)}")
    return run["history"]


def _judge(runs, cases, what, check, *, judges_parameters=False, judges_runaway=False):
    scenarios = Scenarios(what)
    for case in cases:
        with scenarios.scenario(case.label):
            check(_run(runs, case, judges_parameters=judges_parameters, judges_runaway=judges_runaway), case)
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("`train()` stops after `patience` epochs without improvement or at `max_epochs`, and returns that `stop_epoch`")
@pytest.mark.number("3.1")
def test_stop_epoch(runs):
    """Training stops after patience epochs without improvement or at max_epochs, and reports stop_epoch"""
    def check(run, case):
        if run["train_passes"] != case.stop_epoch:
            fail(f"{case.describe()}: trained for {run['train_passes']} epochs, expected to stop after epoch {case.stop_epoch}")
        history = _history(run, case)
        stop = history.get("stop_epoch")
        if "stop_epoch" in history and stop != case.stop_epoch:  # a missing key is 3.6's
            fail(f"{case.describe()}: returned stop_epoch={stop!r}, expected {case.stop_epoch} "
                 "(the number of epochs run; epochs count from 1)")
    _judge(runs, STOPPING, "tables", check)


@pytest.mark.points(1)
@pytest.mark.handout("it returns the right `best_epoch`")
@pytest.mark.number("3.2")
def test_best_epoch(runs):
    """best_epoch is the epoch with the best validation loss"""
    def check(run, case):
        history = _history(run, case)
        best = history.get("best_epoch")
        if "best_epoch" in history and (best != case.best_epoch or isinstance(best, bool)):  # a missing key is 3.6's
            fail(f"{case.describe()}: returned best_epoch={best!r}, expected {case.best_epoch} (epochs count from 1)")
    _judge(runs, STOPPING, "tables", check)


@pytest.mark.points(1)
@pytest.mark.handout("an epoch improves only when `val_loss < best - min_delta` (ties and small gains do not count)")
@pytest.mark.number("3.3")
def test_improvement_rule(runs):
    """An epoch improves only when val_loss < best - min_delta (ties and small gains do not count)"""
    def check(run, case):
        # Each table's tie or small gain changes the stop epoch, the best epoch and the restored
        # weights. One of them right shows the rule was applied: the others are 3.1, 3.2 and 3.4's.
        best = run.get("history", {}).get("best_epoch")
        if run["train_passes"] != case.stop_epoch and best != case.best_epoch and run["restored_epoch"] != case.best_epoch:
            fail(f"{case.describe()}: trained for {run['train_passes']} epochs with best_epoch={best!r}, expected "
                 f"to stop after epoch {case.stop_epoch} with best epoch {case.best_epoch}: an epoch improves only "
                 "when val_loss < best - min_delta")
    _judge(runs, RULE, "tables", check, judges_parameters=True)


@pytest.mark.points(1)
@pytest.mark.handout("the model ends with the best epoch's weights")
@pytest.mark.number("3.4")
def test_restores_best_weights(runs):
    """After train() the model holds the weights of the best epoch"""
    def check(run, case):
        history = run.get("history", {})
        reported = history.get("best_epoch")
        restored = run["restored_epoch"]
        if case.best_epoch is None:
            # Nothing improved: the weights are left as they are (those of the last epoch run), or,
            # when a non-finite loss did not stop training (3.5's), the student's own best epoch.
            if restored not in (run["train_passes"], reported):
                fail(f"{case.describe()}: no epoch improved, so the weights should be left as they are; "
                     f"the model holds those of epoch {restored:g}")
            return
        # Judged against the expected best epoch or the student's own: a wrong best epoch is 3.2's.
        if restored not in (case.best_epoch, reported):
            fail(f"{case.describe()}: after train() the model holds the weights of epoch {restored:g}, expected "
                 f"the best epoch's ({case.best_epoch}): save copy.deepcopy(model.state_dict()) when an epoch "
                 "improves and load it back with model.load_state_dict(...) when training stops")
    _judge(runs, STOPPING + NON_FINITE, "tables", check)


@pytest.mark.points(1)
@pytest.mark.handout("a NaN or infinite validation loss stops training at once (`best_epoch` is `None` if nothing improved)")
@pytest.mark.number("3.5")
def test_non_finite_loss_stops_training(runs):
    """A NaN or infinite validation loss stops training at once"""
    def check(run, case):
        if run["train_passes"] != case.stop_epoch:
            fail(f"{case.describe()}: trained for {run['train_passes']} epochs, expected to stop right after "
                 f"epoch {case.stop_epoch}, whose loss is not finite (use math.isfinite: it is False for NaN and inf)")
        # Only where nothing improved: any other best epoch is 3.2's to judge.
        best = _history(run, case).get("best_epoch")
        if case.best_epoch is None and best is not None:
            fail(f"{case.describe()}: returned best_epoch={best!r}, expected None (no epoch improved)")
    _judge(runs, NON_FINITE, "tables", check)


def _same_loss(got, expected):
    try:
        got = float(got)
    except (TypeError, ValueError):
        return False
    if math.isnan(expected):
        return math.isnan(got)
    if math.isinf(expected):
        return got == expected
    return abs(got - expected) <= TOLERANCE + TOLERANCE * abs(expected)


@pytest.mark.points(1)
@pytest.mark.handout("`train_losses` and `val_losses` hold one float per epoch; `val_losses` is the mean `BCEWithLogitsLoss` over all validation examples (a loss on probabilities, such as `BCELoss`, is charged here)")
@pytest.mark.number("3.6")
def test_history_format(runs):
    """The returned dict has one float per epoch run: mean training loss and mean validation loss over examples"""
    probabilities = runs[2]
    if probabilities:
        fail(describe_failure(probabilities, doing="train() on a model that returns logits, as the handout's does,")
             + "\nYour loss takes probabilities (nn.BCELoss after a sigmoid): use nn.BCEWithLogitsLoss() on the "
             "logits. The other checks of train() gave it outputs in (0, 1), so this is charged here only.")

    def check(run, case):
        history = _history(run, case)
        for key in KEYS:
            check_exists(history, key, f"{case.describe()}: the dict returned by train()")
        epochs = run["train_passes"]
        for key in ("train_losses", "val_losses"):
            values = history[key]
            if run["value_types"].get(key) not in ("list", "tuple") or len(values) != epochs:
                fail(f"{case.describe()}: {key} should be a list of one float per epoch run ({epochs}), got {values!r}")
            odd = [t for t in run["element_types"].get(key, []) if t not in ("float", "float64", "float32")]
            if odd:
                fail(f"{case.describe()}: {key} holds values of type {odd[0]}, expected Python floats "
                     "(use loss.item(), not the loss tensor)")
        for epoch, (got, expected) in enumerate(zip(history["val_losses"], case.losses), start=1):
            if not _same_loss(got, expected):
                fail(f"{case.describe()}: val_losses[{epoch - 1}] is {got!r}, expected {expected:g}: the mean "
                     "BCEWithLogitsLoss over all validation examples (batches may differ in size: weight each "
                     "batch's mean loss by its number of examples)")
    _judge(runs, CASES, "tables", check)


@pytest.mark.points(1)
@pytest.mark.handout("validation runs with `model.eval()` and `torch.no_grad()`, training with `model.train()`")
@pytest.mark.number("3.7")
def test_train_and_eval_modes(runs):
    """Validation runs in eval mode without gradients; training runs in train mode"""
    def check(run, case):
        if any(training for training, _ in run["val_modes"]):
            fail(f"{case.describe()}: the model was in train mode during validation; call model.eval() before "
                 "validating (dropout and batch norm behave differently)")
        if any(grad for _, grad in run["val_modes"]):
            fail(f"{case.describe()}: validation ran with gradients enabled; wrap it in torch.no_grad()")
        if not all(training for training, _ in run["train_modes"]):
            fail(f"{case.describe()}: some training batches ran in eval mode; call model.train() at the start of "
                 "every epoch (validation switched the model to eval mode)")
    _judge(runs, STOPPING, "tables", check, judges_runaway=True)


@pytest.mark.points(1)
@pytest.mark.handout("the optimizer is `torch.optim.Adam` with the `lr` argument")
@pytest.mark.number("3.8")
def test_adam_with_the_given_learning_rate(runs):
    """train() optimises with torch.optim.Adam and the lr it is given"""
    def check(run, case):
        optimizers = run["optimizers"]
        if run.get("takes_lr") is False:
            fail(f"{case.describe()}: train() has no lr parameter, so the grader could not set the learning rate; "
                 "keep the handout's signature train(model, train_loader, val_loader, *, max_epochs, patience, "
                 "min_delta, lr, device) and pass lr to Adam")
        if not optimizers:
            fail(f"{case.describe()}: train() created no torch.optim optimizer; use torch.optim.Adam(model.parameters(), lr=lr)")
        for optimizer in optimizers:
            if optimizer["type"] != "Adam":
                fail(f"{case.describe()}: train() uses torch.optim.{optimizer['type']}, expected Adam")
            if not _same_loss(optimizer["lr"], LEARNING_RATE):
                fail(f"{case.describe()}: train(lr={LEARNING_RATE}) created Adam with lr={optimizer['lr']!r}; "
                     "pass the lr argument to the optimizer")
    _judge(runs, STOPPING, "tables", check, judges_runaway=True)


@pytest.mark.points(1)
@pytest.mark.handout("gradients are zeroed before every backward pass")
@pytest.mark.number("3.9")
def test_gradients_are_zeroed(runs):
    """Gradients are zeroed before every backward pass"""
    def check(run, case):
        if run["backward_passes"] == 0:
            fail(f"{case.describe()}: train() never called backward() on the training loss")
        if run["accumulated"]:
            fail(f"{case.describe()}: a gradient from the previous batch was still there when the next backward() "
                 "ran; call optimizer.zero_grad() before each loss.backward()")
    _judge(runs, STOPPING, "tables", check, judges_runaway=True)
