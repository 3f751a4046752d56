import argparse
import copy
import math

import torch
import torch.nn as nn


def run_epoch(model, loader, criterion, device, optimizer=None):
    """Returns the mean loss of one epoch (trains if optimizer is given)."""
    total_loss = 0.0
    n = 0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device).float()
        logits = model(x).reshape(-1)
        loss = criterion(logits, y)
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        total_loss += loss.item() * len(y)
        n += len(y)
    return total_loss / n


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.BCEWithLogitsLoss()

    train_losses = []
    val_losses = []
    best_val_loss = math.inf
    best_epoch = None
    best_state = None

    epoch = 0
    while True:
        epoch += 1
        epochs_without_improvement = 0

        model.train()
        train_loss = run_epoch(model, train_loader, criterion, device, optimizer)
        model.eval()
        with torch.no_grad():
            val_loss = run_epoch(model, val_loader, criterion, device)
        train_losses.append(train_loss)
        val_losses.append(val_loss)
        print(f"[epoch {epoch}] train_loss={train_loss:.4f} val_loss={val_loss:.4f}")

        if val_loss < best_val_loss - min_delta:
            best_val_loss = val_loss
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            epochs_without_improvement += 1

        # stop when patience is used up
        if epochs_without_improvement > patience:
            break

    if best_state is not None:
        model.load_state_dict(best_state)
    return {"train_losses": train_losses, "val_losses": val_losses, "stop_epoch": epoch, "best_epoch": best_epoch}


def test(model, loader):
    device = next(model.parameters()).device
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for x, y in loader:
            predicted = (model(x.to(device)).reshape(-1) > 0).long().cpu()
            correct += (predicted == y).sum().item()
            total += y.size(0)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_lucas import MyCNNSystem
    from dataset_class_lucas import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    x, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
    train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print(f"test accuracy {test(model, test_loader):.3f}")


if __name__ == "__main__":
    main()
