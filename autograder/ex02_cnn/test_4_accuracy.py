"""4. Training the student's own model with the student's own train(), then held-out accuracy."""

import json

import numpy as np
import pytest

from kit.grading.pytest_plugin import fail, note, require


@pytest.fixture(scope="module")
def trained(grading):
    """One sandboxed run: train on train/val features, predict the unlabelled held-out clips."""
    if grading.features is None:
        pytest.fail("the grader was started without --features")
    settings = grading.settings("accuracy")
    sample = next((grading.features / "public" / "training").glob("*.npz"))
    with np.load(sample, allow_pickle=False) as data:
        frames, mels = data["features"].shape
    request = {"seed": settings["seed"], "max_epochs": settings["max_epochs"],
               "batch_size": settings["batch_size"], "frames": int(frames), "mels": int(mels)}
    result = grading.probe("accuracy", request, folders={"data": grading.features / "public"})
    return require(result, "training your model with your train() and predicting held-out clips"), result.arrays


@pytest.fixture(scope="module")
def heldout_labels(grading):
    return json.loads((grading.features / "heldout_labels.json").read_text())


@pytest.mark.points(1)
@pytest.mark.number("4.1")
def test_test_function_reports_accuracy(trained):
    """test(model, loader) returns the accuracy of the model's predictions"""
    response, arrays = trained
    got = response["student_val_accuracy"]
    if not isinstance(got, float):
        fail(f"test() returned {got}; expected a float accuracy in [0, 1]")
    logits, labels = arrays.get("val_logits"), arrays.get("val_labels")
    if logits is None or labels is None or len(logits) != len(labels):
        fail("the grader could not collect your model's predictions on the validation loader")
    expected = float(np.mean((logits > 0).astype(np.int64) == labels))
    if abs(got - expected) > 1e-6:
        fail(f"test() on the validation loader returned {got:.4f}, expected {expected:.4f} "
             "(the fraction of clips where (logit > 0) equals the label; class 1 is music)")


@pytest.mark.points(4)
@pytest.mark.number("4.2")
def test_heldout_accuracy(grading, trained, heldout_labels, request):
    """Accuracy on the held-out test split reaches the threshold"""
    response, arrays = trained
    threshold = grading.settings("accuracy")["threshold"][grading.dataset]
    names = response.get("test_names")
    logits = arrays.get("test_logits")
    if names != sorted(heldout_labels) or logits is None or logits.shape != (len(names),):
        fail("the grader could not collect one prediction per held-out clip")
    if not np.all(np.isfinite(logits)):
        fail("your model produced NaN or inf logits on held-out clips")
    labels = np.array([heldout_labels[name] for name in names])
    accuracy = float(np.mean((logits > 0).astype(np.int64) == labels))
    message = f"held-out accuracy {accuracy:.3f} on {len(labels)} clips (threshold {threshold:.2f})"
    if accuracy < threshold:
        fail(f"got {message}")
    note(request, message)
