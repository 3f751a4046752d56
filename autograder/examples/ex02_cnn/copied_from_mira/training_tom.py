# Training and testing (Tom)
import argparse
import copy

import torch
import torch.nn as nn


def test(net, data):
    net.eval()
    hits, total = 0, 0
    with torch.no_grad():
        for x, y in data:
            pred = (net(x).view(-1) > 0).long()
            hits += int((pred == y.view(-1)).sum())
            total += len(y)
    return hits / total


def train(model, train_loader, val_loader, max_epochs=100, patience=10, min_delta=0.0, lr=0.001):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.BCEWithLogitsLoss()
    log = {"train_losses": [], "val_losses": [], "stop_epoch": 0, "best_epoch": None}
    best = float("inf")
    saved = None
    bad_epochs = 0
    for ep in range(1, max_epochs + 1):
        model.train()
        acc_loss, n = 0.0, 0
        for x, y in train_loader:
            opt.zero_grad()
            pred = model(x).view(-1)
            l = criterion(pred, y.float())
            l.backward()
            opt.step()
            acc_loss += l.item() * len(y)
            n += len(y)
        log["train_losses"].append(acc_loss / n)
        vl = validation_loss(model, val_loader, criterion)
        log["val_losses"].append(vl)
        log["stop_epoch"] = ep
        print("epoch", ep, "train", round(acc_loss / n, 4), "val", round(vl, 4))
        if vl != vl or vl in (float("inf"), float("-inf")):
            break
        if vl < best - min_delta:
            best = vl
            log["best_epoch"] = ep
            saved = copy.deepcopy(model.state_dict())
            bad_epochs = 0
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    if saved is not None:
        model.load_state_dict(saved)
    return log


def validation_loss(net, data, criterion):
    net.eval()
    s, c = 0.0, 0
    with torch.no_grad():
        for x, y in data:
            pred = net(x).view(-1)
            s += criterion(pred, y.float()).item() * len(y)
            c += len(y)
    return s / c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--max-epochs", type=int, default=100)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=16)
    opts = ap.parse_args()
    from dataset_class_tom import get_data_loaders
    from my_cnn_system_tom import MyCNNSystem

    torch.manual_seed(opts.seed)
    tr, va, te = get_data_loaders(opts.data_dir, opts.batch_size)
    x, _ = next(iter(tr))
    net = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
    train(net, tr, va, max_epochs=opts.max_epochs, patience=opts.patience)
    print("test accuracy:", test(net, te))


if __name__ == "__main__":
    main()
