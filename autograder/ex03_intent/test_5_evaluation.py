"""5. Evaluation: the metrics against scikit-learn on scripted predictions, evaluate(), the script, and the
held-out accuracy of the student's trained model.

The scripted predictions leave one class never predicted (its F1 is 0) and one class absent from
the targets; evaluate() is given batches of unequal size.
"""

import functools
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from conftest import SCRIPT_EPOCHS
from heldout_accuracy import confusion, run_accuracy, scored

from kit.grader import Scenarios, attach, cached, fail, note, require


def _logits(predicted, n, rng):
    logits = rng.normal(size=(len(predicted), n)).round(3)
    logits[np.arange(len(predicted)), predicted] = logits.max(axis=1) + 1.0
    return logits.tolist()


def _cases():
    rng = np.random.default_rng(5)
    cases = []
    for targets, predicted, n in (
        ([0, 1, 2, 3, 0, 1, 2, 3, 0, 2], [0, 1, 1, 3, 0, 2, 2, 3, 1, 2], 4),  # class 4 of 5 never occurs
        ([0, 0, 1, 1, 2, 2, 2, 3, 3, 1, 0], [0, 1, 1, 1, 2, 0, 2, 1, 1, 1, 0], 5),  # 3 is never predicted, 4 never seen
        ([2, 2, 2, 2], [2, 2, 1, 2], 3),
    ):
        cases.append({"targets": targets, "logits": _logits(predicted, n, rng), "n_classes": n})
    return cases


CASES = _cases()
EVALUATE = {"targets": [0, 1, 2, 1, 0, 2, 2, 1, 0], "n_classes": 4, "batch_size": 4,
            "logits": _logits([0, 1, 1, 1, 2, 2, 2, 0, 0], 4, np.random.default_rng(6))}


def _sklearn_values(case):
    """What scikit-learn says of one scripted case: the oracle of 5.1 to 5.4."""
    from sklearn.metrics import confusion_matrix, f1_score

    targets = np.asarray(case["targets"])
    predicted = np.asarray(case["logits"]).argmax(axis=1)
    labels = list(range(case["n_classes"]))
    return {"accuracy": float(np.mean(predicted == targets)),
            "macro_f1": float(f1_score(targets, predicted, average="macro", labels=labels, zero_division=0)),
            "confusion_matrix": confusion_matrix(targets, predicted, labels=labels).tolist()}


@functools.cache
def _sklearn_table():
    """scikit-learn's values for CASES and EVALUATE, in that order: computed by the first submission graded and
    read back by the others (kit.grader.cached; importing sklearn.metrics cost each one about 2 s), once here."""
    return cached("ex03_metrics_values", source=Path(__file__), libraries=("scikit-learn", "numpy"),
                  compute=lambda: [_sklearn_values(c) for c in [*CASES, EVALUATE]])


def _expected(case):
    """scikit-learn's values for ``case`` (one of CASES, or EVALUATE)."""
    return _sklearn_table()[[*CASES, EVALUATE].index(case)]


@pytest.fixture(scope="module")
def metrics(grading):
    result = grading.probe("metrics", {"cases": CASES, "evaluate": EVALUATE})
    return require(result, "calling the metrics and evaluate() on scripted predictions")


def _judge(metrics, name, compare, describe):
    results = metrics.get(name)
    if results is None:
        fail(f"your training file has no {name} function")
    scenarios = Scenarios(f"cases of {name}")
    for index, (case, got) in enumerate(zip(CASES, results)):
        with scenarios.scenario(f"case {index + 1}"):
            if "error" in got:
                fail(f"{describe(case)} raised {got['error']}")
            compare(got["value"], _expected(case)[name], describe(case))
    scenarios.verdict()


def _call(name, case):
    predicted = np.asarray(case["logits"]).argmax(axis=1).tolist()
    if name == "accuracy":
        return f"accuracy(logits of shape ({len(predicted)}, {case['n_classes']}), targets={case['targets']})"
    return f"{name}(predictions={predicted}, targets={case['targets']}, n_classes={case['n_classes']})"


def _close(got, want, what, hint=""):
    if isinstance(got, list) and len(got) == 1:
        got = got[0]
    if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - want) > 1e-4:
        fail(f"{what} returned {got}; expected {want:.4f}{hint}")


@pytest.mark.points(1)
@pytest.mark.handout("`accuracy(logits, targets)`: the fraction whose highest logit is the target, a float")
@pytest.mark.number("5.1")
def test_accuracy(metrics):
    """accuracy() is the fraction of argmax hits"""
    _judge(metrics, "accuracy", _close, lambda case: _call("accuracy", case))


@pytest.mark.points(2)
@pytest.mark.handout("`macro_f1(predictions, targets, n_classes)`: the mean of all n_classes F1 scores, 0 for a class never predicted nor present (scikit-learn's `f1_score(average=\"macro\", zero_division=0)`)")
@pytest.mark.number("5.2")
def test_macro_f1(metrics):
    """macro_f1() matches scikit-learn's macro F1"""
    def compare(got, want, what):
        _close(got, want, what, " (scikit-learn: f1_score(targets, predictions, average='macro', "
                                "labels=range(n_classes), zero_division=0): a mean over every class, F1 = 0 where "
                                "a class has no true positive)")

    _judge(metrics, "macro_f1", compare, lambda case: _call("macro_f1", case))


@pytest.mark.points(2)
@pytest.mark.handout("`confusion_matrix(predictions, targets, n_classes)`: (n_classes, n_classes) counts, row = true intent, column = predicted")
@pytest.mark.number("5.3")
def test_confusion_matrix(metrics):
    """confusion_matrix() counts [true, predicted]"""
    def compare(got, want, what):
        got_array = np.asarray(got) if isinstance(got, list) else None
        if got_array is None or got_array.shape != np.asarray(want).shape:
            fail(f"{what} returned {str(got)[:120]}; expected a {len(want)} x {len(want)} matrix {want}")
        if np.array_equal(got_array, np.asarray(want).T):
            fail(f"{what} returned the transpose of the confusion matrix: rows are the true intents, columns the "
                 f"predicted ones ({want})")
        if not np.array_equal(got_array, np.asarray(want)):
            fail(f"{what} returned {got}; expected {want}")

    _judge(metrics, "confusion_matrix", compare, lambda case: _call("confusion_matrix", case))


@pytest.mark.points(2)
@pytest.mark.handout("`evaluate(model, loader, n_classes)` runs the model in `eval()` mode without gradients over every batch and returns `{{\"accuracy\", \"macro_f1\", \"confusion\"}}`")
@pytest.mark.number("5.4")
def test_evaluate(metrics):
    """evaluate() in eval mode over every batch, returning the three metrics"""
    got = metrics.get("evaluate")
    if got is None:
        fail("your training file has no evaluate function")
    if "error" in got:
        # The probe ran evaluate() again with correct metric functions when one of the student's
        # raised on these examples: a crash of theirs is charged by 5.1 to 5.3, not here again.
        retried = metrics.get("evaluate_with_correct_metrics")
        if retried is None:
            fail(f"evaluate(model, loader, 4) raised {got['error']}")
        if retried.get("error") == got["error"]:
            # The same crash with correct metric functions: it is evaluate()'s own, nothing to add.
            fail(f"evaluate(model, loader, 4) raised {got['error']}")
        if "error" in retried:
            fail(f"evaluate(model, loader, 4) raised {retried['error']} (this run used the handout's accuracy, "
                 f"macro_f1 and confusion_matrix in place of yours; with yours it raised {got['error']}, and 5.1 to "
                 f"5.3 judge your metric functions)")
        got = retried
    modes = metrics.get("evaluate_modes") or []
    if any(training for training, _ in modes):
        fail("evaluate() ran the model in train mode: call model.eval() first")
    if any(grad for _, grad in modes):
        fail("evaluate() ran the model with gradients enabled: wrap it in torch.no_grad()")
    value = got["value"]
    if not isinstance(value, dict) or not {"accuracy", "macro_f1", "confusion"} <= set(value):
        fail(f"evaluate() returned {str(value)[:120]}; expected a dict with accuracy, macro_f1 and confusion")
    want = _expected(EVALUATE)
    what = "evaluate() on 9 examples in batches of 4, 4 and 1"
    # Values your own metric functions give on all 9 examples count as right here: those functions
    # are judged by 5.1 to 5.3.
    own = metrics.get("evaluate_own_metrics") or {}

    def scalar(v):
        return v[0] if isinstance(v, list) and len(v) == 1 else v

    def same(got, *candidates):
        got = scalar(got)
        return any(isinstance(got, (int, float)) and isinstance(c, (int, float)) and abs(got - c) < 1e-4
                   for c in map(scalar, candidates))

    accuracy = scalar(value["accuracy"])
    batch_mean = float(np.mean([np.mean([1, 1, 0, 1]), np.mean([0, 1, 1, 0]), 1.0]))
    if not same(accuracy, want["accuracy"], own.get("accuracy")):
        if same(accuracy, batch_mean):
            fail(f"{what}: accuracy {accuracy:.4f} is the mean of the batches' accuracies; over the 9 examples it is "
                 f"{want['accuracy']:.4f}")
        fail(f"{what}: accuracy {accuracy}; expected {want['accuracy']:.4f}")
    if not same(value["macro_f1"], want["macro_f1"], own.get("macro_f1")):
        fail(f"{what}: macro_f1 {scalar(value['macro_f1'])}; expected {want['macro_f1']:.4f}")
    confusion = value["confusion"]
    if not isinstance(confusion, list) or (confusion != want["confusion_matrix"] and confusion != own.get("confusion")):
        fail(f"{what}: confusion {str(confusion)[:120]}; expected {want['confusion_matrix']}")


NUMBER = r"([0-9]*\.?[0-9]+)\s*(%?)"


def _printed(stdout, name_pattern):
    match = re.search(name_pattern + r"[^0-9\n]{0,40}" + NUMBER, stdout, flags=re.IGNORECASE)
    if not match:
        return None
    value = float(match.group(1))
    return value / 100 if match.group(2) or value > 1 else value


@pytest.fixture(scope="module")
def script(main_probe):
    return require(main_probe, "running your training script")


@pytest.mark.points(3)
@pytest.mark.handout("`python training_intent_<name>.py <data folder> --max-epochs N` trains and prints the test accuracy, macro-F1 and the confusion matrix")
@pytest.mark.number("5.5")
def test_script_prints_the_metrics(script):
    """The script trains and prints accuracy, macro-F1 and the confusion matrix"""
    command = f"python {script.get('file', 'training_intent_<name>.py')} data --max-epochs {SCRIPT_EPOCHS}"
    if script.get("stopped_after") is not None:
        fail(f"`{command}` was still running after {script['stopped_after']} passes over its data loaders, so the "
             "grader stopped it: pass --max-epochs on to train()")
    if script.get("exit_code") != 0:
        failure = script.get("failure") or {}
        detail = failure.get("message") or (script.get("stderr") or "")[-800:]
        fail(f"`{command}` exited with code {script.get('exit_code')}: {detail}".rstrip())
    out = script.get("stdout") or ""
    passes = (script.get("reads") or []).count("train")
    if passes > 3 * SCRIPT_EPOCHS:  # an epoch may read the training data twice (a loss, then an accuracy)
        fail(f"`{command}` went over the training data {passes} times: pass --max-epochs on to train()")
    missing = []
    if _printed(out, r"(?:test[^\n]{0,30}acc|acc[^\n]{0,30}test)") is None:
        missing.append("the test accuracy (a line with 'test', 'accuracy' and its value)")
    if _printed(out, r"f1") is None:
        missing.append("the macro-F1 (a line with 'F1' and its value)")
    rows = [line for line in out.splitlines() if len(re.findall(r"\b\d+\b", line)) >= 4]
    if len(rows) < 4:
        missing.append("the 4 x 4 confusion matrix (one row of counts per intent)")
    if missing:
        fail(f"`{command}` printed no {'; no '.join(missing)}. It printed:\n{out[-1200:]}")


@pytest.mark.points(3)
@pytest.mark.handout("the script selects the model on the validation split and reads the test split only once training is over")
@pytest.mark.number("5.6")
def test_test_split_only_after_training(script, request):
    """The test split is read only after training"""
    reads = script.get("reads") or []
    if "train" not in reads:
        if script.get("exit_code") != 0 or not reads:
            why = (script.get("failure") or {}).get("message") or (script.get("stderr") or "").strip()[-300:]
            fail("your script did not train (see 5.5), so it could not be seen choosing its model"
                 + (f": {why}" if why else ""))
        note(request, "not judged: the script's loaders could not be told apart by split")
        return
    last_train = len(reads) - 1 - reads[::-1].index("train")
    early_tests = [i for i, split in enumerate(reads[:last_train]) if split == "test"]
    if early_tests:
        fail(f"your script read the test split during training (loader passes in order: {' '.join(reads[:30])}). "
             "The model is chosen on the validation split; the test split is read once, after training, or its "
             "accuracy is no longer an estimate for unseen data")
    after = reads[last_train:]
    during = reads[reads.index("train"):last_train + (after.index("test") if "test" in after else len(after))]
    if "val" not in during:
        fail(f"your script's train() never read the validation split (loader passes in order: {' '.join(reads[:30])}): "
             "give train() the validation loader, to select the model on")


@pytest.mark.points(4)
@pytest.mark.handout("your model, trained by your `train()` ({accuracy[max_epochs]} epochs), reaches the accuracy threshold ({accuracy[threshold]:.2f}) on held-out clips of voices that are in no split you receive; near the threshold it is trained three times and the median counts")
@pytest.mark.number("5.7")
@pytest.mark.last
def test_heldout_accuracy(grading, request):
    """Accuracy on the held-out voices reaches the threshold"""
    if grading.features is None:
        pytest.fail("the grader was started without --features")
    settings = grading.settings("accuracy")
    threshold = settings["threshold"][grading.dataset]
    runs = [_accuracy(grading, settings["seed"])]
    if abs(runs[0][0] - threshold) < settings["rerun_margin"]:
        runs += [_accuracy(grading, settings["seed"] + offset) for offset in range(1, settings["runs_near_threshold"])]
    values = [run[0] for run in runs]
    median = statistics.median(values)
    accuracy, logits, truth, response = min(runs, key=lambda run: abs(run[0] - median))
    names = grading.config.class_names(grading.dataset)
    table = confusion(logits, truth, names)
    attach(request, "tables", [{
        "title": "held-out confusion", "caption": "Held-out clips (rows: the true intent, columns: what your model said):",
        "columns": [f"said {name}" for name in table["classes"]],
        "rows": [[name, *counts] for name, counts in zip(table["classes"], table["counts"])]}])
    if response.get("val_accuracies"):
        attach(request, "figures", [{"kind": "curves", "file": "validation_accuracy", "x_label": "epoch",
                                     "y_label": "accuracy", "title": "Your training run in the accuracy check",
                                     "series": {"validation accuracy": response["val_accuracies"]}}])
    message = f"held-out accuracy {median:.3f} on {len(truth)} clips (threshold {threshold:.2f}; chance {1 / len(names):.2f})"
    if len(values) > 1:
        message += (f"; it was within {settings['rerun_margin']:.2f} of the threshold, so your model was trained "
                    f"{len(values)} times with different seeds and the median is graded: "
                    + ", ".join(f"{value:.3f}" for value in values))
    if response.get("stopped_after") is not None:
        message += (f"\nYour train() was still training after {response['stopped_after']} epochs with "
                    f"max_epochs={settings['max_epochs']}, so the grader stopped it there and measured your model as it "
                    "was then. When train() stops is judged by part 4, not here.")
    if response.get("stand_in"):
        message += (f"\nYour IntentCNN could not be used ({response['stand_in']}; see part 3), so your train() was "
                    "measured with the grader's stand-in model.")
    if median < threshold:
        fail(f"got {message}")
    note(request, message)


def _accuracy(grading, seed):
    result = run_accuracy(grading, seed)
    response = require(result, "training your model with your train() and predicting the held-out clips")
    accuracy, logits, truth = scored(grading, result)
    return accuracy, logits, truth, response
