import argparse
import copy

import numpy as np
import torch
import torch.nn as nn


def train(model, train_loader, val_loader, *, max_epochs=100, patience=10, min_delta=0.0, lr=1e-3, device="cpu"):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_function = nn.BCEWithLogitsLoss()

    train_losses = []
    val_losses = []
    best_val_loss = np.inf
    best_epoch = None
    best_model = None
    patience_counter = 0
    epoch = 0

    for epoch in range(1, max_epochs + 1):
        # training
        model.train()
        epoch_loss = 0.0
        n = 0
        for x, y in train_loader:
            x = x.to(device)
            y = y.to(device).float()
            optimizer.zero_grad()
            y_hat = model(x).view(-1)
            loss = loss_function(y_hat, y)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(y)
            n += len(y)
        train_losses.append(epoch_loss / n)

        # validation
        model.eval()
        epoch_loss = 0.0
        n = 0
        with torch.no_grad():
            for x, y in val_loader:
                x = x.to(device)
                y = y.to(device).float()
                y_hat = model(x).view(-1)
                epoch_loss += loss_function(y_hat, y).item() * len(y)
                n += len(y)
        val_loss = epoch_loss / n
        val_losses.append(val_loss)

        print(f'Epoch: {epoch:03d} | Mean training loss: {train_losses[-1]:7.4f} | Mean validation loss {val_loss:7.4f}')

        if not np.isfinite(val_loss):
            print('Validation loss is not finite, stopping')
            break

        if val_loss < best_val_loss - min_delta:
            best_val_loss = val_loss
            best_epoch = epoch
            best_model = copy.deepcopy(model.state_dict())
            patience_counter = 0
        else:
            patience_counter += 1
            if patience_counter >= patience:
                print(f'Early stopping at epoch {epoch}, best epoch was {best_epoch}')
                break

    if best_model is not None:
        model.load_state_dict(best_model)

    return {'train_losses': train_losses, 'val_losses': val_losses, 'stop_epoch': epoch, 'best_epoch': best_epoch}


def test(model, loader):
    device = next(model.parameters()).device
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for x, y in loader:
            y_hat = model(x.to(device)).view(-1)
            predictions = (y_hat > 0).long().cpu()
            correct += (predictions == y).sum().item()
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

    from my_cnn_system_maria import MyCNNSystem
    from dataset_class_maria import get_data_loaders

    torch.manual_seed(args.seed)
    train_loader, val_loader, test_loader = get_data_loaders(args.data_dir, batch_size=args.batch_size)
    x, _ = next(iter(train_loader))
    model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])

    history = train(model, train_loader, val_loader, max_epochs=args.max_epochs, patience=args.patience)
    print('Stopped at epoch', history['stop_epoch'])
    print(f'Test accuracy: {test(model, test_loader):.3f}')


if __name__ == '__main__':
    main()
