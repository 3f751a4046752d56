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
    # BEGIN SOLUTION: argmax over the classes, compared with the targets
    return (logits.argmax(dim=1) == targets).float().mean().item()
    # END SOLUTION


def confusion_matrix(predictions, targets, n_classes):
    """An int64 tensor (n_classes, n_classes): ``[t, p]`` counts examples of class t predicted as p."""
    # BEGIN SOLUTION: count every (target, prediction) pair
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for t, p in zip(targets.tolist(), predictions.tolist()):
        matrix[t, p] += 1
    return matrix
    # END SOLUTION


def macro_f1(predictions, targets, n_classes):
    """The mean over all ``n_classes`` classes of each class's F1 score, a float.

    A class's F1 is 2 TP / (2 TP + FP + FN), and 0 when it has no example and is never predicted
    (scikit-learn's ``f1_score(average="macro", zero_division=0)`` over ``labels=range(n_classes)``).
    """
    # BEGIN SOLUTION: per-class F1 from the confusion matrix, then the plain mean
    matrix = confusion_matrix(predictions, targets, n_classes).double()
    tp = matrix.diagonal()
    fp = matrix.sum(dim=0) - tp
    fn = matrix.sum(dim=1) - tp
    denominator = 2 * tp + fp + fn
    f1 = torch.where(denominator > 0, 2 * tp / denominator.clamp(min=1), torch.zeros_like(tp))
    return f1.mean().item()
    # END SOLUTION


def predict(model, loader, device="cpu"):
    """(logits of every example, their targets), concatenated over the loader, in eval mode without gradients."""
    # BEGIN SOLUTION: eval mode, no_grad, every batch
    model.eval()
    all_logits, all_targets = [], []
    with torch.no_grad():
        for x, y in loader:
            all_logits.append(model(x.to(device)).cpu())
            all_targets.append(y.cpu())
    return torch.cat(all_logits), torch.cat(all_targets)
    # END SOLUTION


def train(model, train_loader, val_loader, *, max_epochs=20, lr=1e-3, device="cpu"):
    """Train ``model`` with Adam and CrossEntropyLoss for ``max_epochs`` epochs, validating after each.

    Epochs count from 1. After each epoch the model's accuracy on ``val_loader`` (over all its
    examples) is measured; the best epoch is the one with the highest validation accuracy (the
    earliest of equal ones), and its weights are restored when training ends.

    Returns {"train_losses": [...], "val_accuracies": [...], "best_epoch": int}.
    """
    # BEGIN SOLUTION: train, validate every epoch, keep and restore the best weights
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    train_losses, val_accuracies = [], []
    best_accuracy, best_epoch, best_state = -1.0, None, None
    for epoch in range(1, max_epochs + 1):
        model.train()
        loss_sum, n_examples = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            n_examples += len(y)
        train_losses.append(loss_sum / max(n_examples, 1))
        logits, targets = predict(model, val_loader, device)
        val_accuracy = accuracy(logits, targets)
        val_accuracies.append(val_accuracy)
        if val_accuracy > best_accuracy:
            best_accuracy, best_epoch = val_accuracy, epoch
            best_state = copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    return {"train_losses": train_losses, "val_accuracies": val_accuracies, "best_epoch": best_epoch}
    # END SOLUTION


def evaluate(model, loader, n_classes, device="cpu"):
    """{"accuracy": float, "macro_f1": float, "confusion": (n_classes, n_classes) int64 tensor} on ``loader``."""
    # BEGIN SOLUTION: predict, then the three metrics
    logits, targets = predict(model, loader, device)
    predictions = logits.argmax(dim=1)
    return {"accuracy": accuracy(logits, targets), "macro_f1": macro_f1(predictions, targets, n_classes),
            "confusion": confusion_matrix(predictions, targets, n_classes)}
    # END SOLUTION


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
    # BEGIN SOLUTION: loaders, model, train, then evaluate once on the test split and print
    names = intent_names(args.data)
    train_loader, val_loader, test_loader = get_data_loaders(args.data, args.batch_size, INPUT_KIND)
    model = IntentCNN(n_intents=len(names))
    history = train(model, train_loader, val_loader, max_epochs=args.max_epochs, lr=args.lr)
    print(f"best epoch {history['best_epoch']} (validation accuracy "
          f"{max(history['val_accuracies']):.3f})")
    results = evaluate(model, test_loader, len(names))
    print(f"test accuracy: {results['accuracy']:.3f}")
    print(f"test macro-F1: {results['macro_f1']:.3f}")
    print("confusion matrix (rows: true intent, columns: predicted):")
    width = max(len(name) for name in names)
    for name, row in zip(names, results["confusion"].tolist()):
        print(f"  {name:>{width}} " + " ".join(f"{count:3d}" for count in row))
    # END SOLUTION


if __name__ == "__main__":
    main()
