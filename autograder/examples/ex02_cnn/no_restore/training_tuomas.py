import argparse
import math

import torch
import torch.nn as nn


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    """Train with Adam + BCEWithLogitsLoss, early stopping on val loss.

    Returns dict with train_losses, val_losses, stop_epoch, best_epoch.
    """
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()

    train_losses = []
    val_losses = []
    lowest_val_loss = math.inf
    best_epoch = None
    patience_counter = 0
    epoch = 0

    for epoch in range(1, max_epochs + 1):
        model.train()
        batch_losses = []
        batch_sizes = []
        for x, y in train_loader:
            x = x.to(device)
            y = y.to(device).float()
            optimizer.zero_grad()
            logits = model(x).reshape(-1)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item() * len(y))
            batch_sizes.append(len(y))
        train_loss = sum(batch_losses) / sum(batch_sizes)

        model.eval()
        batch_losses = []
        batch_sizes = []
        with torch.no_grad():
            for x, y in val_loader:
                x = x.to(device)
                y = y.to(device).float()
                logits = model(x).reshape(-1)
                batch_losses.append(loss_fn(logits, y).item() * len(y))
                batch_sizes.append(len(y))
        val_loss = sum(batch_losses) / sum(batch_sizes)

        train_losses.append(train_loss)
        val_losses.append(val_loss)
        print(f"Epoch {epoch}: train loss {train_loss:.4f}, validation loss {val_loss:.4f}")

        if not math.isfinite(val_loss):
            print("Validation loss is NaN/inf, stopping.")
            break

        if val_loss < lowest_val_loss - min_delta:
            lowest_val_loss = val_loss
            best_epoch = epoch
            patience_counter = 0
        else:
            patience_counter += 1
            if patience_counter >= patience:
                print(f"Early stopping at epoch {epoch}, lowest validation loss was at epoch {best_epoch}")
                break

    # training done, model is trained
    return {
        "train_losses": train_losses,
        "val_losses": val_losses,
        "stop_epoch": epoch,
        "best_epoch": best_epoch,
    }


def test(model, loader):
    device = next(model.parameters()).device
    model.eval()
    n_correct = 0
    n_all = 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device)).reshape(-1).cpu()
            n_correct += ((logits > 0).long() == y).sum().item()
            n_all += len(y)
    return n_correct / n_all


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train and test MyCNNSystem")
    parser.add_argument("data_dir", help="feature folder")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_tuomas import MyCNNSystem
    from dataset_class_tuomas import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    x, _ = next(iter(train_loader))
    model = MyCNNSystem(n_mels=x.shape[2], n_frames=x.shape[1])
    result = train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print(f"Stopped after {result['stop_epoch']} epochs")
    print(f"Test accuracy: {test(model, test_loader):.3f}")


if __name__ == "__main__":
    main()
