# Mira's part 3.3: training with early stopping, testing, and the script.
import argparse
import copy

import torch
import torch.nn as nn


def evaluate_loss(model, loader, loss_fn):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for features, labels in loader:
            out = model(features).view(-1)
            total += loss_fn(out, labels.float()).item() * len(labels)
            count += len(labels)
    return total / count


def train(model, train_loader, val_loader, max_epochs=100, patience=10, min_delta=0.0, lr=0.001):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    history = {"train_losses": [], "val_losses": [], "stop_epoch": 0, "best_epoch": None}
    lowest = float("inf")
    best_weights = None
    waited = 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for features, labels in train_loader:
            optimizer.zero_grad()
            out = model(features).view(-1)
            loss = loss_fn(out, labels.float())
            loss.backward()
            optimizer.step()
            running += loss.item() * len(labels)
            seen += len(labels)
        history["train_losses"].append(running / seen)
        val_loss = evaluate_loss(model, val_loader, loss_fn)
        history["val_losses"].append(val_loss)
        history["stop_epoch"] = epoch
        print("epoch", epoch, "train", round(running / seen, 4), "val", round(val_loss, 4))
        if val_loss != val_loss or val_loss in (float("inf"), float("-inf")):
            break
        if val_loss < lowest - min_delta:
            lowest = val_loss
            history["best_epoch"] = epoch
            best_weights = copy.deepcopy(model.state_dict())
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                break
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return history


def test(model, loader):
    model.eval()
    right, n = 0, 0
    with torch.no_grad():
        for features, labels in loader:
            guess = (model(features).view(-1) > 0).long()
            right += int((guess == labels.view(-1)).sum())
            n += len(labels)
    return right / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    from dataset_class_mira import get_data_loaders
    from my_cnn_system_mira import MyCNNSystem

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, args.batch_size)
    features, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=features.shape[1], n_mels=features.shape[2])
    train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print("test accuracy:", test(model, test_loader))


if __name__ == "__main__":
    main()
