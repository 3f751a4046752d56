"""4. train() on scripted models: the loss, modes, gradients, epochs, and the model chosen on validation accuracy.

The scripted model makes chosen validation examples right in each epoch (7 examples in batches
of 4 and 3), with a chosen margin that sets the validation loss; its ``epoch_marker`` buffer shows
which epoch's weights train() left in the model. In table "loss_disagrees" the lowest validation
loss is in another epoch than the best accuracy; in "ties" two epochs share the best accuracy
(the earlier counts); in "batches" the mean of per-batch accuracies ranks the epochs differently
from the accuracy over examples.
"""

import math

import numpy as np
import pytest

from kit.grader import Scenarios, fail, note, require

VAL_LABELS, TRAIN_FIRST_BATCH, N_CLASSES = [0, 1, 2, 3, 1, 2, 0], [0, 0, 0, 1], 4
CASES = [
    {"id": "loss_disagrees", "max_epochs": 5, "lr": 0.001, "confidence": [0.5, 4.0, 0.2, 1.0, 0.1],
     "correct": [[0, 1], [0, 1, 2, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3], [0]]},
    {"id": "ties", "max_epochs": 4, "lr": 0.001, "confidence": [1.0] * 4,
     "correct": [[0], [0, 1, 4], [0, 1, 5], [0, 1]]},
    {"id": "first_epoch_best", "max_epochs": 3, "lr": 0.001, "confidence": [1.0] * 3,
     "correct": [[0, 1, 2, 3, 4, 5], [0], []]},
    {"id": "all_wrong", "max_epochs": 2, "lr": 0.001, "confidence": [1.0] * 2, "correct": [[], []]},
    {"id": "last_epoch_best", "max_epochs": 3, "lr": 0.0123, "confidence": [1.0] * 3,
     "correct": [[0], [0, 1], [0, 1, 2]]},
    {"id": "batches", "max_epochs": 3, "lr": 0.001, "confidence": [1.0] * 3,
     "correct": [[0, 1, 2, 3], [0, 4, 5, 6], [0]]},
]
SELECTION = ["loss_disagrees", "ties", "first_epoch_best", "all_wrong", "last_epoch_best"]


def per_example(correct):
    return len(correct) / len(VAL_LABELS)


def expected_epoch(case, run=None):
    """The best epoch among those train() ran (how many it runs is 4.4's to judge)."""
    ran = run.get("train_passes") if isinstance(run, dict) else None
    correct = case["correct"][:ran] if isinstance(ran, int) and 1 <= ran < len(case["correct"]) else case["correct"]
    accuracies = [per_example(c) for c in correct]
    return accuracies.index(max(accuracies)) + 1


def val_losses(case):
    losses = []
    for correct, m in zip(case["correct"], case["confidence"]):
        whole = math.log(math.exp(m) + N_CLASSES - 1)
        losses.append(np.mean([whole - m if i in correct else whole for i in range(len(VAL_LABELS))]))
    return losses


@pytest.fixture(scope="module")
def runs(grading, output_kind):
    result = grading.probe("training", {"cases": CASES, "outputs": output_kind})
    response = require(result, "running train() on scripted models", partial=True)
    return {run["id"]: run for run in response.get("cases", []) if isinstance(run, dict)}


def _run(runs, case):
    run = runs.get(case["id"])
    if run is None:
        fail(f"train() did not finish table {case['id']!r} in time")
    if run.get("ran_away"):
        fail(f"table {case['id']!r}: train() with max_epochs={case['max_epochs']} was still training after 100 epochs")
    if "error" in run:
        fail(f"table {case['id']!r}: train(model, train_loader, val_loader, max_epochs={case['max_epochs']}) raised "
             f"{run['error']}\n{run.get('traceback', '')}".rstrip())
    return run


def _cases(ids=None):
    return [case for case in CASES if ids is None or case["id"] in ids]


@pytest.mark.points(3)
@pytest.mark.handout("the training loss is `nn.CrossEntropyLoss` on the logits (mean over the batch)")
@pytest.mark.number("4.1")
def test_cross_entropy_loss(runs, output_kind, request):
    """train() uses CrossEntropyLoss on the logits"""
    run = _run(runs, CASES[0])
    got = run.get("first_gradient")
    uniform = np.full(N_CLASSES, 1 / N_CLASSES)
    counts = np.bincount(TRAIN_FIRST_BATCH, minlength=N_CLASSES) / len(TRAIN_FIRST_BATCH)
    want = uniform - counts  # d CE / d logits at equal logits, mean over the batch
    accepted = [want]
    if output_kind == "probabilities":
        # A model that ends in a softmax (charged by 3.4 alone): CrossEntropyLoss on its outputs, as on
        # any model's outputs, or NLLLoss on their log (which is CrossEntropyLoss on the logits).
        jacobian = np.diag(uniform) - np.outer(uniform, uniform)
        accepted.append(jacobian.T @ want)
        note(request, "Your forward ends in a softmax (charged by 3.4 only): train() was given softmax outputs "
                      "and judged on the loss it computes from them.")
    if got is None:
        fail("train() ran no backward pass on the first training batch")
    got = np.asarray(got, dtype=np.float64)
    if any(np.allclose(got, a, atol=1e-5) for a in accepted):
        return
    if np.allclose(got, want * len(TRAIN_FIRST_BATCH), atol=1e-5):
        fail("the training loss is summed over the batch; CrossEntropyLoss takes the mean (reduction='mean')")
    fail(f"the gradient of the first batch's loss is {np.round(got, 4).tolist()}; nn.CrossEntropyLoss on the model's "
         f"logits gives {np.round(want, 4).tolist()} (a softmax before it, NLLLoss on logits or MSE give others)")


@pytest.mark.points(2)
@pytest.mark.handout("training batches run in `train()` mode; validation in `eval()` mode under `torch.no_grad()`")
@pytest.mark.number("4.2")
def test_modes(runs):
    """Training in train mode; validation in eval mode without gradients"""
    run = _run(runs, CASES[0])
    if not all(training and grad for training, grad in run.get("train_modes", [])):
        fail("training batches ran with the model in eval mode (or without gradients): call model.train() at the "
             "start of every epoch (validation left it in eval mode)")
    modes = run.get("val_modes", [])
    if any(training for training, _ in modes):
        fail("validation ran with the model in train mode: call model.eval() before validating (dropout and "
             "batch norm behave differently)")
    if any(grad for _, grad in modes):
        fail("validation ran with gradients enabled: wrap it in torch.no_grad()")


@pytest.mark.points(2)
@pytest.mark.handout("gradients are zeroed before every training batch's backward")
@pytest.mark.number("4.3")
def test_gradients_zeroed(runs):
    """Gradients are zeroed for every batch"""
    run = _run(runs, CASES[0])
    if run.get("accumulated"):
        fail("a batch's backward ran with the previous batch's gradient still in .grad: call "
             "optimizer.zero_grad() before every backward")


@pytest.mark.points(2)
@pytest.mark.handout("train() runs `max_epochs` epochs and validates after every one")
@pytest.mark.number("4.4")
def test_epochs_and_validation(runs):
    """max_epochs epochs, a validation pass after each"""
    scenarios = Scenarios("tables")
    for case in _cases(SELECTION):
        with scenarios.scenario(case["id"]):
            run = _run(runs, case)
            epochs = case["max_epochs"]
            if run.get("train_passes") != epochs:
                fail(f"with max_epochs={epochs}, train() went over the training data {run.get('train_passes')} times")
            passes = run.get("val_passes")
            if not isinstance(passes, int) or passes < epochs:
                fail(f"in {epochs} epochs train() went over the validation data {passes} times; "
                     "validate after every epoch")
    scenarios.verdict()


@pytest.mark.points(4)
@pytest.mark.handout("the best model is the epoch with the highest validation **accuracy** (the earliest of equal ones), never the last or the lowest loss, and its weights are restored at the end")
@pytest.mark.number("4.5")
def test_best_validation_accuracy_restored(runs):
    """The epoch with the best validation accuracy is restored"""
    scenarios = Scenarios("tables")
    for case in _cases(SELECTION):
        with scenarios.scenario(case["id"]):
            run = _run(runs, case)
            want, got = expected_epoch(case, run), run.get("restored_epoch")
            accuracies = ", ".join(f"{per_example(c):.2f}" for c in case["correct"])
            if got != want:
                losses = val_losses(case)
                why = ""
                if got == run.get("train_passes"):
                    why = " (the last epoch's: were the best weights restored, with a deep copy of the state_dict?)"
                elif got == losses.index(min(losses)) + 1:
                    why = " (the epoch of the lowest validation loss: select on accuracy)"
                elif per_example(case["correct"][got - 1]) == max(per_example(c) for c in case["correct"]):
                    why = " (of equal accuracies the earliest counts: improve only on a strictly higher accuracy)"
                fail(f"table {case['id']!r}: validation accuracies per epoch {accuracies}; train() left epoch "
                     f"{got}'s weights in the model{why}; epoch {want} is the best")
    scenarios.verdict()


@pytest.mark.points(2)
@pytest.mark.handout("validation accuracy counts examples: correct / all validation examples, not a mean of per-batch accuracies")
@pytest.mark.number("4.6")
def test_accuracy_over_examples(runs, request):
    """Validation accuracy is over examples, not a mean over batches"""
    for case in _cases(SELECTION):
        run = _run(runs, case)
        if run.get("restored_epoch") != expected_epoch(case, run):
            note(request, "not judged: the model selection itself is charged by 4.5")
            return
    case = next(case for case in CASES if case["id"] == "batches")
    run = _run(runs, case)
    if run.get("restored_epoch") != expected_epoch(case, run):
        fail(f"validation batches of 4 and 3 examples: epochs 1 and 2 each get 4 of 7 right (0.571), so epoch 1 is "
             f"the best; train() kept epoch {run.get('restored_epoch')}, as a mean of the batches' accuracies would "
             "(0.500 and 0.625). Count correct examples over the whole validation set")


@pytest.mark.points(2)
@pytest.mark.handout("train() returns `{{\"train_losses\": [...], \"val_accuracies\": [...], \"best_epoch\": int}}`, one value per epoch, `best_epoch` the restored epoch counted from 1")
@pytest.mark.number("4.7")
def test_history(runs):
    """train() returns the history with val_accuracies and best_epoch"""
    scenarios = Scenarios("tables")
    for case in _cases(SELECTION):
        with scenarios.scenario(case["id"]):
            run = _run(runs, case)
            history = run.get("returned")
            if not isinstance(history, dict):
                fail(f"train() returned {str(history)[:80]}; expected a dict with train_losses, val_accuracies and best_epoch")
            missing = [k for k in ("train_losses", "val_accuracies", "best_epoch") if k not in history]
            if missing:
                fail(f"train()'s dict has no {', '.join(missing)} (it has {', '.join(sorted(history)) or 'nothing'})")
            accuracies = history["val_accuracies"]
            epochs = run.get("train_passes")  # how many it runs is 4.4's to judge
            if not isinstance(accuracies, list) or len(accuracies) != epochs:
                fail(f"val_accuracies should hold one value per epoch ({epochs}); got {str(accuracies)[:80]}")
            # Its values are judged by 4.6 (over examples) and 5.1 (accuracy()); here: the best epoch it
            # names, when the right weights were restored (which ones is 4.5's to judge).
            best, restored = history["best_epoch"], run.get("restored_epoch")
            if restored == expected_epoch(case, run) and best != restored:
                fail(f"best_epoch is {best}; the weights of epoch {restored} were restored (epochs count from 1)")
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("train()'s `lr` is the optimizer's learning rate")
@pytest.mark.number("4.8")
def test_learning_rate(runs):
    """The optimizer uses train()'s lr"""
    case = next(case for case in CASES if case["id"] == "last_epoch_best")
    run = _run(runs, case)
    if not run.get("lr_accepted"):
        fail("train() has no lr parameter (train(model, train_loader, val_loader, *, max_epochs=20, lr=1e-3, device='cpu'))")
    optimizers = run.get("optimizers") or []
    if not optimizers:
        fail("train() created no torch.optim optimizer")
    if optimizers[0].get("lr") is None or abs(optimizers[0]["lr"] - case["lr"]) > 1e-12:
        fail(f"train(..., lr={case['lr']}) created {optimizers[0].get('type')} with lr={optimizers[0].get('lr')}")
