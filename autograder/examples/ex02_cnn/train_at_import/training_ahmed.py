import copy
import math

import torch
import torch.nn as nn

from my_cnn_system_ahmed import MyCNNSystem
from dataset_class_ahmed import get_data_loaders


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.BCEWithLogitsLoss()
    train_losses, val_losses = [], []
    best_loss = math.inf
    best_epoch = None
    best_weights = None
    no_improve = 0
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device).float()
            optimizer.zero_grad()
            loss = criterion(model(x).reshape(-1), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        train_losses.append(total / n)

        model.eval()
        total, n = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device).float()
                total += criterion(model(x).reshape(-1), y).item() * len(y)
                n += len(y)
        val_loss = total / n
        val_losses.append(val_loss)
        print('epoch', epoch, 'train loss', round(train_losses[-1], 4), 'val loss', round(val_loss, 4))

        if not math.isfinite(val_loss):
            break
        if val_loss < best_loss - min_delta:
            best_loss = val_loss
            best_epoch = epoch
            best_weights = copy.deepcopy(model.state_dict())
            no_improve = 0
        else:
            no_improve += 1
            if no_improve >= patience:
                print('early stopping!')
                break
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return {'train_losses': train_losses, 'val_losses': val_losses, 'stop_epoch': epoch, 'best_epoch': best_epoch}


def test(model, loader):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = (model(x).reshape(-1) > 0).long()
            correct += (pred == y).sum().item()
            total += len(y)
    return correct / total


# ---------------- run everything ----------------
torch.manual_seed(0)
train_loader, val_loader, test_loader = get_data_loaders('music_speech_dataset/', batch_size=16)
model = MyCNNSystem(n_frames=646)
history = train(model, train_loader, val_loader, max_epochs=100, patience=10)
print('best epoch', history['best_epoch'])
print('test accuracy', test(model, test_loader))
