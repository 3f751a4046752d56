# Exercise 2 - training
# Li Wei

import argparse
import copy
import math

import torch
from torch import nn


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.BCEWithLogitsLoss()

    train_losses, val_losses = [], []
    best_val = math.inf
    best_epoch = None
    best_state = None
    wait = 0
    epoch = 0

    for epoch in range(1, max_epochs + 1):
        model.train()
        running, count = 0.0, 0
        for features, labels in train_loader:
            features = features.to(device)
            labels = labels.to(device).float()
            optimizer.zero_grad()
            out = model(features).reshape(-1)
            loss = criterion(out, labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            count += labels.shape[0]
        train_losses.append(running / count)

        model.eval()
        running, count = 0.0, 0
        with torch.no_grad():
            for features, labels in val_loader:
                out = model(features.to(device)).reshape(-1)
                running += criterion(out, labels.to(device).float()).item() * labels.shape[0]
                count += labels.shape[0]
        val_loss = running / count
        val_losses.append(val_loss)
        print("epoch %d: train loss %.4f, val loss %.4f" % (epoch, train_losses[-1], val_loss))

        if math.isnan(val_loss) or math.isinf(val_loss):
            break
        if val_loss < best_val - min_delta:
            best_val = val_loss
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                print("early stopping")
                break

    if best_state is not None:
        model.load_state_dict(best_state)

    return {"train_losses": train_losses, "val_losses": val_losses,
            "stop_epoch": epoch, "best_epoch": best_epoch}


def test(model, loader):
    device = next(model.parameters()).device
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for features, labels in loader:
            out = model(features.to(device)).reshape(-1).cpu()
            pred = (out > 0).long()
            correct += (pred == labels).sum().item()
            total += labels.shape[0]
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_liwei import MyCNNSystem
    from dataset_class_liwei import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, args.batch_size)
    n_frames = next(iter(train_loader))[0].shape[1]
    model = MyCNNSystem(n_frames=n_frames)
    train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print("test accuracy:", test(model, test_loader))


if __name__ == "__main__":
    main()
