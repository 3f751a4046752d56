"""The accuracy threshold is meaningful: the reference clears it with a margin on 5 seeds."""

import json

import pytest

from kit.grading.calibrate import below_chance, reference_accuracy_hook, with_threshold
from kit.grading.cli import data_view
from kit.grading.config import REPO, load_config
from kit.grading.pytest_plugin import GradingContext

MARGIN = 0.05
SEEDS = (1, 2, 3, 4, 5)
CONFIG = load_config("ex02_cnn")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def context():
    view = data_view(CONFIG, "embedded", None)
    grading = GradingContext(config=CONFIG, submission=REPO / "solutions" / "ex02_cnn", features=view,
                             dataset="embedded")
    yield grading
    grading.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_clears_the_threshold_with_a_margin(context, seed):
    """The same measurement as `make calibrate` (the assignment's heldout_accuracy.reference_accuracy)."""
    threshold = context.settings("accuracy")["threshold"]["embedded"]
    accuracy, clips = reference_accuracy_hook(CONFIG)(context, seed)
    print(f"seed {seed}: reference accuracy {accuracy:.3f} on {clips} holdout clips (threshold {threshold})")
    assert accuracy >= threshold + MARGIN, f"seed {seed}: reference accuracy {accuracy:.3f}, threshold {threshold}"


def test_the_held_out_split_is_large_enough_for_the_threshold(context):
    """With fewer clips a single mistake moves accuracy by more than the margin."""
    labels = json.loads((context.features / "heldout_labels.json").read_text())
    assert len(labels) >= 1 / (MARGIN / 2)


def test_calibrate_writes_only_the_dataset_threshold():
    text = (CONFIG.folder / "config.toml").read_text()
    written = with_threshold(text, "gtzan", 0.87)
    assert "threshold = { embedded = 0.80, gtzan = 0.87 }" in written
    assert written.replace("gtzan = 0.87", "gtzan = 0.80") == text
    assert "threshold = { embedded = 0.80, gtzan = 0.80, italic = 0.31 }" in with_threshold(text, "italic", 0.314)


def test_calibrate_refuses_a_threshold_a_guessing_model_would_clear():
    # Measured on a 60-intent ITALIC-layout copy of noise: accuracies at chance, lowest - 0.05 below zero.
    problem = below_chance(-0.04, [0.017, 0.008, 0.017], 60, 0.05)
    assert problem and "chance 1/60 = 0.017" in problem and "nothing written" in problem
    assert below_chance(0.05, [0.1], 60, 0.05)  # above chance, but not by the margin
    assert below_chance(0.54, [0.59], 2, 0.05)
    # The thresholds in use pass: ex03's stand-in (10 intents) and ex02 (2 classes).
    assert below_chance(0.30, [0.391, 0.564], 10, 0.05) is None and below_chance(0.80, [0.86], 2, 0.05) is None


def test_calibrate_counts_the_classes_of_the_assignments_own_data():
    # ex03's DATASET=embedded is its 10-intent stand-in, not the data layer's 2-class `embedded` corpus.
    assert len(load_config("ex03_intent").class_names("embedded")) == 10
    assert len(load_config("ex02_cnn").class_names("embedded")) == 2
