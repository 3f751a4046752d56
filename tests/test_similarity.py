"""The similarity ranking finds the disguised copy: copied_from_mira is independent_mira with every
variable renamed and the functions reordered; the reference and the skeleton are written apart."""

from kit.grading import intake
from kit.grading.config import REPO, load_config
from kit.grading.similarity import rank_pairs

EXAMPLES = REPO / "autograder" / "examples" / "ex02_cnn"
SOURCES = {
    "independent_mira": EXAMPLES / "independent_mira",
    "copied_from_mira": EXAMPLES / "copied_from_mira",
    "reference": REPO / "solutions" / "ex02_cnn",
    "skeleton": REPO / "assignments" / "ex02_cnn",
}


def test_the_disguised_copy_ranks_first_and_the_skeleton_counts_for_nothing(tmp_path):
    config = load_config("ex02_cnn")
    for ident, source in SOURCES.items():
        intake.stage(ident, source, config, tmp_path / ident / "files")
    report = tmp_path / "similarity.html"
    pairs, subtracted = rank_pairs(config, tmp_path, sorted(SOURCES), report)
    first, second = pairs[0], pairs[1]
    assert {first.first, first.second} == {"independent_mira", "copied_from_mira"}
    assert set(first.by_role) == {"dataset", "model", "training"}
    assert first.score > 0.8 and second.score < 0.5, pairs[:3]
    # Skeleton code is boilerplate: the unchanged skeleton shares nothing with anyone.
    assert all(p.score == 0 for p in pairs if "skeleton" in (p.first, p.second))
    assert "copied_from_mira" in report.read_text()
    assert subtracted == [f"assignments/ex02_cnn ({len(list(SOURCES['skeleton'].rglob('*.py')))} .py files)"]


# A course's own helper, handed out beside the kit's skeletons, that students paste into their training file.
COURSE_HELPER = '''
import random

import matplotlib.pyplot as plt
import numpy as np
import torch


def set_seed(seed=42):
    """Make a run repeatable: the same seed for Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def plot_losses(train_losses, val_losses, path="losses.png"):
    """Training and validation loss per epoch, with the best validation epoch marked."""
    epochs = range(1, len(train_losses) + 1)
    best = int(np.argmin(val_losses)) + 1
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(epochs, train_losses, label="training")
    axis.plot(epochs, val_losses, label="validation")
    axis.axvline(best, color="grey", linestyle="--", label=f"best epoch {best}")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_confusion(matrix, class_names, path="confusion.png"):
    """A confusion matrix with its counts written in the cells."""
    figure, axis = plt.subplots(figsize=(4, 4))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(class_names)), class_names)
    axis.set_yticks(range(len(class_names)), class_names)
    for row in range(len(class_names)):
        for column in range(len(class_names)):
            axis.text(column, row, str(matrix[row][column]), ha="center", va="center")
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def count_parameters(model):
    """Trainable parameters of a model."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)
'''


def test_the_course_own_files_named_as_boilerplate_stop_pairing_students_who_kept_them(tmp_path):
    """Two training files written apart, both with the course's helper pasted in: they pair high until
    the course's files are named as boilerplate (SIMILARITY_BOILERPLATE)."""
    config = load_config("ex02_cnn")
    course = tmp_path / "course_files"
    course.mkdir()
    (course / "utils.py").write_text(COURSE_HELPER)
    out = tmp_path / "out"
    for ident in ("reference", "independent_mira"):
        intake.stage(ident, SOURCES[ident], config, out / ident / "files")

    def training_share(*boilerplate):
        pairs, subtracted = rank_pairs(config, out, ["independent_mira", "reference"], tmp_path / "sim.html",
                                       extra_boilerplate=list(boilerplate))
        return pairs[0].by_role["training"], subtracted

    apart, _ = training_share()  # what the two training files share on their own (the same template)
    for ident in ("reference", "independent_mira"):
        training = next((out / ident / "files").glob("training_*.py"))
        training.write_text(training.read_text() + "\n" + COURSE_HELPER)
    with_helper, _ = training_share()
    with_helper_subtracted, subtracted = training_share(course)
    assert with_helper > apart + 0.15, (apart, with_helper)
    assert abs(with_helper_subtracted - apart) < 0.05, (apart, with_helper_subtracted)
    assert subtracted[1] == f"{course} (1 .py files)"
