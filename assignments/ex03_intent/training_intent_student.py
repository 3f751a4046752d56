"""Parts 4 and 5: training with model selection on the validation split, and evaluation.

Rename this file to ``training_intent_<yourname>.py`` (and the imports in ``main()`` to your
model and dataset files) before you submit it. Train locally with::

    python training_intent_<yourname>.py italic_mini --max-epochs 20

Importing this file must not train anything: the graders import it and call ``train()``,
``evaluate()`` and the metrics themselves.
"""

import argparse
import copy

import torch
from torch import nn


def accuracy(logits, targets):
    """The fraction of examples whose highest logit is their target: ``(argmax == target).mean()``, a float."""
    raise NotImplementedError("not implemented: argmax over the classes, compared with the targets")


def confusion_matrix(predictions, targets, n_classes):
    """An int64 tensor (n_classes, n_classes): ``[t, p]`` counts examples of class t predicted as p."""
    raise NotImplementedError("not implemented: count every (target, prediction) pair")


def macro_f1(predictions, targets, n_classes):
    """The mean over all ``n_classes`` classes of each class's F1 score, a float.

    A class's F1 is 2 TP / (2 TP + FP + FN), and 0 when it has no example and is never predicted
    (scikit-learn's ``f1_score(average="macro", zero_division=0)`` over ``labels=range(n_classes)``).
    """
    raise NotImplementedError("not implemented: per-class F1 from the confusion matrix, then the plain mean")


def predict(model, loader, device="cpu"):
    """(logits of every example, their targets), concatenated over the loader, in eval mode without gradients."""
    raise NotImplementedError("not implemented: eval mode, no_grad, every batch")


def train(model, train_loader, val_loader, *, max_epochs=20, lr=1e-3, device="cpu"):
    """Train ``model`` with Adam and CrossEntropyLoss for ``max_epochs`` epochs, validating after each.

    Epochs count from 1. After each epoch the model's accuracy on ``val_loader`` (over all its
    examples) is measured; the best epoch is the one with the highest validation accuracy (the
    earliest of equal ones), and its weights are restored when training ends.

    Returns {"train_losses": [...], "val_accuracies": [...], "best_epoch": int}.
    """
    raise NotImplementedError("not implemented: train, validate every epoch, keep and restore the best weights")


def evaluate(model, loader, n_classes, device="cpu"):
    """{"accuracy": float, "macro_f1": float, "confusion": (n_classes, n_classes) int64 tensor} on ``loader``."""
    raise NotImplementedError("not implemented: predict, then the three metrics")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train and test the intent CNN on an ITALIC data folder.")
    parser.add_argument("data", help="the data folder with manifest.json, e.g. italic_mini")
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # Your own files: rename these imports with your files.
    from dataset_italic_student import get_data_loaders, intent_names
    from intent_cnn_student import INPUT_KIND, IntentCNN

    torch.manual_seed(args.seed)
    raise NotImplementedError("not implemented: loaders, model, train, then evaluate once on the test split and print")


if __name__ == "__main__":
    main()
