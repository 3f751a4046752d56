"""The accuracy threshold is meaningful: the reference clears it with a margin on 5 seeds."""

import pytest

from kit.grading.accuracy import accuracy_request, heldout_labels, predictions_accuracy
from kit.grading.cli import data_view
from kit.grading.config import REPO, load_config
from kit.grading.pytest_plugin import GradingContext

MARGIN = 0.05
SEEDS = (1, 2, 3, 4, 5)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def context():
    config = load_config("ex02_cnn")
    view = data_view(config, "embedded", None)
    grading = GradingContext(config=config, submission=REPO / "solutions" / "ex02_cnn", features=view,
                             dataset="embedded")
    yield grading
    grading.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_clears_the_threshold_with_a_margin(context, seed):
    settings = context.settings("accuracy")
    threshold = settings["threshold"]["embedded"]
    request = accuracy_request(settings, context.features, seed=seed)
    result = context.probe("accuracy", request, folders={"data": context.features / "public"})
    assert result.ok, result.describe()
    labels = heldout_labels(context.features)
    names = result.response["heldout_names"]
    accuracy = predictions_accuracy(result.arrays["heldout_logits"], [labels[n] for n in names])
    print(f"seed {seed}: reference accuracy {accuracy:.3f} on {len(names)} holdout clips (threshold {threshold})")
    assert accuracy >= threshold + MARGIN, f"seed {seed}: reference accuracy {accuracy:.3f}, threshold {threshold}"


def test_the_held_out_split_is_large_enough_for_the_threshold(context):
    """With fewer clips a single mistake moves accuracy by more than the margin."""
    assert len(heldout_labels(context.features)) >= 1 / (MARGIN / 2)
