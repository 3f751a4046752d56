"""4. Training the student's own model with the student's own train(), then held-out accuracy."""

import numpy as np
import pytest

from kit.grading.accuracy import accuracy_request, heldout_labels, predictions_accuracy
from kit.grading.pytest_plugin import fail, note, require


@pytest.fixture(scope="module")
def trained(grading):
    """One sandboxed run: train on train/val features, predict the unlabelled held-out clips."""
    if grading.features is None:
        pytest.fail("the grader was started without --features")
    request = accuracy_request(grading.settings("accuracy"), grading.features)
    result = grading.probe("accuracy", request, folders={"data": grading.features / "public"})
    return require(result, "training your model with your train() and predicting held-out clips"), result.arrays


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
    expected = predictions_accuracy(logits, labels)
    if abs(got - expected) > 1e-6:
        fail(f"test() on the validation loader returned {got:.4f}, expected {expected:.4f} "
             "(the fraction of clips where (logit > 0) equals the label; class 1 is music)")


@pytest.mark.points(4)
@pytest.mark.number("4.2")
def test_heldout_accuracy(grading, trained, request):
    """Accuracy on the held-out test split reaches the threshold"""
    response, arrays = trained
    threshold = grading.settings("accuracy")["threshold"][grading.dataset]
    names = response.get("test_names")
    logits = arrays.get("test_logits")
    labels_by_name = heldout_labels(grading.features)
    if names != sorted(labels_by_name) or logits is None or logits.shape != (len(names),):
        fail("the grader could not collect one prediction per held-out clip")
    if not np.all(np.isfinite(logits)):
        fail("your model produced NaN or inf logits on held-out clips")
    accuracy = predictions_accuracy(logits, [labels_by_name[name] for name in names])
    message = f"held-out accuracy {accuracy:.3f} on {len(names)} clips (threshold {threshold:.2f})"
    if accuracy < threshold:
        fail(f"got {message}")
    note(request, message)
