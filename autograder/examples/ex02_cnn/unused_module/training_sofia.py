"""
Audio classification with CNNs - training and testing
Sofia R.
"""
import argparse
from copy import deepcopy

import numpy as np
import torch
from torch import nn


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_function = nn.BCEWithLogitsLoss()

    history = {"train_losses": [], "val_losses": [], "stop_epoch": 0, "best_epoch": None}
    lowest_validation_loss = np.inf
    best_model_state = None
    patience_counter = 0

    for epoch in range(1, max_epochs + 1):
        # ---- Training ----
        model.train()
        loss_sum, n_seen = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            y_hat = model(x)
            loss = loss_function(y_hat.reshape(-1), y.float())
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * y.shape[0]
            n_seen += y.shape[0]
        epoch_train_loss = loss_sum / n_seen

        # ---- Validation ----
        model.eval()
        loss_sum, n_seen = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                y_hat = model(x)
                loss_sum += loss_function(y_hat.reshape(-1), y.float()).item() * y.shape[0]
                n_seen += y.shape[0]
        epoch_val_loss = loss_sum / n_seen

        history["train_losses"].append(epoch_train_loss)
        history["val_losses"].append(epoch_val_loss)
        history["stop_epoch"] = epoch
        print(f"Epoch: {epoch:03d} | Mean training loss: {epoch_train_loss:7.4f} | "
              f"Mean validation loss {epoch_val_loss:7.4f}")

        # ---- Early stopping ----
        if not np.isfinite(epoch_val_loss):
            print("Validation loss is not finite -> stop")
            break
        if epoch_val_loss < lowest_validation_loss - min_delta:
            lowest_validation_loss = epoch_val_loss
            history["best_epoch"] = epoch
            best_model_state = deepcopy(model.state_dict())
            patience_counter = 0
        else:
            patience_counter += 1
            if patience_counter >= patience:
                print("Exiting due to early stopping")
                break

    if best_model_state is not None:
        model.load_state_dict(best_model_state)
    return history


def test(model, loader):
    device = next(model.parameters()).device
    model.eval()
    right = 0
    seen = 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device)).reshape(-1).cpu()
            predictions = (logits > 0).to(torch.int64)
            right += int((predictions == y).sum())
            seen += y.shape[0]
    return right / seen


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_sofia import MyCNNSystem
    from dataset_class_sofia import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    features, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=features.shape[1], n_mels=features.shape[2])

    train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    accuracy = test(model, test_loader)
    print(f"Testing accuracy: {accuracy * 100:.1f} %")


if __name__ == "__main__":
    main()
