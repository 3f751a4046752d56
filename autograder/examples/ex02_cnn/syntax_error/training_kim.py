# -*- coding: utf-8 -*-
import argparse
from copy import deepcopy

import numpy as np
import torch
from torch import nn


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model = model.to(device)

    # Define the optimizer and the loss
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_function = nn.BCEWithLogitsLoss()

    # Variables for early stopping
    lowest_validation_loss = np.inf
    best_validation_epoch =?
    patience_counter =?
    best_model = None

    train_losses, val_losses = [], []
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        epoch_loss_training = []
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device).float()
            optimizer.zero_grad()
            y_hat = model(x).reshape(-1)
            loss = loss_function(y_hat, y)
            loss.backward()
            optimizer.step()
            epoch_loss_training.append(loss.item())

        epoch_loss_validation = []
        model.eval()
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device).float()
                y_hat = model(x).reshape(-1)
                epoch_loss_validation.append(loss_function(y_hat, y).item())

        train_losses.append(float(np.mean(epoch_loss_training)))
        val_losses.append(float(np.mean(epoch_loss_validation)))
        print(f'Epoch: {epoch:03d} | Mean training loss: {train_losses[-1]:7.4f} | '
              f'Mean validation loss {val_losses[-1]:7.4f}')

        if not np.isfinite(val_losses[-1]):
            break
        if val_losses[-1] < lowest_validation_loss - min_delta:
            lowest_validation_loss = val_losses[-1]
            best_validation_epoch = epoch
            patience_counter = 0
            best_model = deepcopy(model.state_dict())
        else:
            patience_counter += 1
            if patience_counter >= patience:
                print('Exiting due to early stopping')
                break

    if best_model is not None:
        model.load_state_dict(best_model)
    return {'train_losses': train_losses, 'val_losses': val_losses,
            'stop_epoch': epoch, 'best_epoch': best_validation_epoch}


def test(model, loader):
    model.eval()
    device = next(model.parameters()).device
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            y_hat = model(x.to(device)).reshape(-1).cpu()
            correct += ((y_hat > 0).long() == y).sum().item()
            total += len(y)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('data_dir')
    parser.add_argument('--max-epochs', type=int, default=100)
    parser.add_argument('--patience', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_kim import MyCNNSystem
    from dataset_class_kim import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    x, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=x.shape[1])
    train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print('Test accuracy:', test(model, test_loader))


if __name__ == '__main__':
    main()
