"""Training with early stopping, and testing, for MyCNNSystem.

Rename this file to ``training_<yourname>.py`` (and the imports in ``main()`` to your
model and dataset files) before you submit it. Train locally with::

    python training_<yourname>.py music_speech_subset/features

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
    # BEGIN SOLUTION: train with early stopping (see the handout for the exact rule)
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be at least 1, got {max_epochs}")
    if patience < 0:
        raise ValueError(f"patience must not be negative, got {patience}")
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.BCEWithLogitsLoss()
    train_losses: list[float] = []
    val_losses: list[float] = []
    best_loss = math.inf
    best_epoch = None
    best_state = None
    epochs_without_improvement = 0
    epoch = 0

    for epoch in range(1, max_epochs + 1):
        model.train()
        loss_sum, n_examples = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device).float()
            optimizer.zero_grad()
            logits = model(x).reshape(-1)
            loss = criterion(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * y.numel()
            n_examples += y.numel()
        train_losses.append(loss_sum / max(n_examples, 1))

        val_loss = _mean_loss(model, val_loader, criterion, device)
        val_losses.append(val_loss)
        print(f"epoch {epoch:3d}  train loss {train_losses[-1]:.4f}  val loss {val_loss:.4f}")

        if not math.isfinite(val_loss):
            print(f"validation loss is {val_loss} at epoch {epoch}: stopping")
            break
        if val_loss < best_loss - min_delta:
            best_loss = val_loss
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= patience:
                print(f"no improvement for {patience} epochs: stopping at epoch {epoch}")
                break

    if best_state is not None:
        model.load_state_dict(best_state)
        print(f"restored the weights of epoch {best_epoch} (val loss {best_loss:.4f})")
    return {
        "train_losses": train_losses,
        "val_losses": val_losses,
        "stop_epoch": epoch,
        "best_epoch": best_epoch,
    }
    # END SOLUTION


def _mean_loss(model: nn.Module, loader, criterion, device) -> float:
    """Mean loss over all examples of ``loader``, in eval mode and without gradients."""
    # BEGIN SOLUTION: evaluate the mean validation loss
    model.eval()
    loss_sum, n_examples = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device).float()
            logits = model(x).reshape(-1)
            loss_sum += criterion(logits, y).item() * y.numel()
            n_examples += y.numel()
    if n_examples == 0:
        raise ValueError("the validation loader yielded no examples")
    return loss_sum / n_examples
    # END SOLUTION


def test(model: nn.Module, loader) -> float:
    """Accuracy of ``model`` on ``loader`` in [0, 1]; a clip is music (class 1) when its logit > 0."""
    # BEGIN SOLUTION: compute the accuracy
    device = next(model.parameters()).device
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            predictions = (model(x.to(device)).reshape(-1) > 0).long().cpu()
            correct += (predictions == y.reshape(-1).long()).sum().item()
            total += y.numel()
    if total == 0:
        raise ValueError("the test loader yielded no examples")
    return correct / total
    # END SOLUTION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and test MyCNNSystem on a feature folder.")
    parser.add_argument("data_dir", help="folder with training/, validation/ and testing/ .npz files")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from dataset_class_student import get_data_loaders
    from my_cnn_system_student import MyCNNSystem

    # BEGIN SOLUTION: build the loaders and the model, train, and print the test accuracy
    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    x, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
    history = train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print(f"stopped at epoch {history['stop_epoch']}, best epoch {history['best_epoch']}")
    print(f"test accuracy: {test(model, test_loader):.3f}")
    return 0
    # END SOLUTION


if __name__ == "__main__":
    raise SystemExit(main())
