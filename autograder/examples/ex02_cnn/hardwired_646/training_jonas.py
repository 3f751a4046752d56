#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Training / testing of MyCNNSystem. Jonas K."""

from argparse import ArgumentParser
from copy import deepcopy
from math import isfinite
from typing import Dict, Optional

import torch
from torch.nn import BCEWithLogitsLoss, Module
from torch.optim import Adam

__docformat__ = 'reStructuredText'


def _epoch(model: Module, loader, loss_function, device: str, optimizer: Optional[Adam] = None) -> float:
    """One pass over the loader. Trains if an optimizer is given, else only evaluates.

    :return: Mean loss over all examples.
    """
    total, count = 0., 0
    for x, y in loader:
        x, y = x.to(device), y.to(device).float()
        if optimizer is not None:
            optimizer.zero_grad()
        y_hat = model(x).reshape(-1)
        loss = loss_function(y_hat, y)
        if optimizer is not None:
            loss.backward()
            optimizer.step()
        total += loss.item() * x.size(0)
        count += x.size(0)
    return total / count


def train(model: Module, train_loader, val_loader, *, max_epochs: int = 100, patience: int = 10,
          min_delta: float = 0., lr: float = 1e-3, device: str = 'cpu') -> Dict:
    """Trains the model with early stopping on the validation loss.

    :return: dict with train_losses, val_losses, stop_epoch, best_epoch.
    """
    model = model.to(device)
    optimizer = Adam(params=model.parameters(), lr=lr)
    loss_function = BCEWithLogitsLoss()

    history = {'train_losses': [], 'val_losses': [], 'stop_epoch': 0, 'best_epoch': None}
    lowest_val_loss = float('inf')
    best_weights = None
    epochs_no_improvement = 0

    for epoch in range(1, max_epochs + 1):
        model.train()
        train_loss = _epoch(model, train_loader, loss_function, device, optimizer)

        model.eval()
        with torch.no_grad():
            val_loss = _epoch(model, val_loader, loss_function, device)

        history['train_losses'].append(train_loss)
        history['val_losses'].append(val_loss)
        history['stop_epoch'] = epoch
        print(f'Epoch: {epoch:03d} | Training loss: {train_loss:7.4f} | Validation loss: {val_loss:7.4f}')

        if not isfinite(val_loss):
            print('-- NaN/inf validation loss, stopping')
            break

        if val_loss < lowest_val_loss - min_delta:
            lowest_val_loss = val_loss
            history['best_epoch'] = epoch
            best_weights = deepcopy(model.state_dict())
            epochs_no_improvement = 0
        else:
            epochs_no_improvement += 1
            if epochs_no_improvement >= patience:
                print(f'-- Early stopping, best epoch {history["best_epoch"]}')
                break

    if best_weights is not None:
        model.load_state_dict(best_weights)
    return history


def test(model: Module, loader) -> float:
    """Accuracy on the loader, class 1 (music) if logit > 0.

    :return: Accuracy in [0, 1].
    """
    device = next(model.parameters()).device
    model.eval()
    n_correct, n_total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            predicted = (model(x.to(device)).reshape(-1) > 0).long().cpu()
            n_correct += int((predicted == y).sum())
            n_total += y.numel()
    return n_correct / n_total


def main(argv=None):
    parser = ArgumentParser(description='Train MyCNNSystem')
    parser.add_argument('data_dir', type=str)
    parser.add_argument('--max-epochs', type=int, default=100)
    parser.add_argument('--patience', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=16)
    args = parser.parse_args(argv)

    from my_cnn_system_jonas import MyCNNSystem
    from dataset_class_jonas import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)

    model = MyCNNSystem()
    history = train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print(f'Best epoch: {history["best_epoch"]}')
    print(f'Testing accuracy: {test(model, test_loader):.4f}')


if __name__ == '__main__':
    main()

# EOF
