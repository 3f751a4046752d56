"""Training with early stopping, and testing, for MyCNNSystem.

Rename this file to ``training_<yourname>.py`` (and the import in ``main()`` to your
model file) before you submit it. Train locally with::

    python training_<yourname>.py path/to/features

Importing this file must not train anything: the graders import it and call
``train()`` and ``test()`` themselves.
"""

import argparse
import copy
import math

import torch
from torch import nn


def train(
    model: nn.Module,
    train_loader,
    val_loader,
    *,
    max_epochs: int = 100,
    patience: int = 10,
    min_delta: float = 0.0,
    lr: float = 1e-3,
    device: str = "cpu",
) -> dict:
    """Train ``model`` with Adam and BCEWithLogitsLoss, stopping early on the validation loss.

    The loaders are any iterables of (x float32 (B, T, F), y int64 (B,)) batches.
    Epochs count from 1. An epoch improves when val_loss < best - min_delta; training stops
    after ``patience`` epochs in a row without improvement, at ``max_epochs``, or at once
    when the validation loss is not finite. The best epoch's weights are restored at the end.

    Returns {"train_losses": [...], "val_losses": [...], "stop_epoch": int, "best_epoch": int or None}.
    """
    raise NotImplementedError("not implemented: train with early stopping (see the handout for the exact rule)")


def _mean_loss(model: nn.Module, loader, criterion, device) -> float:
    """Mean loss over all examples of ``loader``, in eval mode and without gradients."""
    raise NotImplementedError("not implemented: evaluate the mean validation loss")


def test(model: nn.Module, loader) -> float:
    """Accuracy of ``model`` on ``loader`` in [0, 1]; a clip is music (class 1) when its logit > 0."""
    raise NotImplementedError("not implemented: compute the accuracy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and test MyCNNSystem on a feature folder.")
    parser.add_argument("data_dir", help="folder with training/, validation/ and testing/ .npz files")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_zed import MyCNNSystem
    from dataset_class_zed import get_data_loaders

    raise NotImplementedError("not implemented: build the loaders and the model, train, and print the test accuracy")


if __name__ == "__main__":
    raise SystemExit(main())
