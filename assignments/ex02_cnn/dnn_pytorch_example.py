"""Part 2 (not graded): a complete, small PyTorch example to read and run before part 3.

    python dnn_pytorch_example.py

A DNN of three linear layers, each followed by a non-linearity and dropout, maps two inputs
to two outputs. It is trained on random data with a loss, an optimiser and the loop every
PyTorch training script has: zero_grad(), forward, loss, backward(), step(). It prints the
loss per epoch and runs on a CPU in a few seconds.

To train on a GPU when you have one, uncomment the lines marked ``.to(device)``: ``device``
is "cuda" when PyTorch finds a GPU and "cpu" otherwise, so the script runs everywhere.
"""

import torch
from torch import nn


class MyDNN(nn.Module):
    """Three linear layers, each followed by ReLU and dropout: 2 inputs -> 2 outputs."""

    def __init__(self, input_features=2, hidden_1=32, hidden_2=16, output_features=2, dropout=0.2):
        super().__init__()
        self.linear_1 = nn.Linear(input_features, hidden_1)
        self.linear_2 = nn.Linear(hidden_1, hidden_2)
        self.linear_3 = nn.Linear(hidden_2, output_features)
        self.non_linearity = nn.ReLU()
        self.drop = nn.Dropout(p=dropout)

    def forward(self, x):
        # x: (batch, input_features) -> (batch, output_features)
        h = self.drop(self.non_linearity(self.linear_1(x)))
        h = self.drop(self.non_linearity(self.linear_2(h)))
        return self.drop(self.non_linearity(self.linear_3(h)))


def main(epochs=20, examples=256, batch_size=32, seed=0):
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"process on {device}")

    # Random data: two input features, and as targets two numbers that depend on them.
    x = torch.rand(examples, 2)
    y = torch.stack([x[:, 0] + x[:, 1], x[:, 0] * x[:, 1]], dim=1)

    model = MyDNN()
    # model = model.to(device)
    loss_function = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_losses = []
        for start in range(0, examples, batch_size):
            x_batch = x[start:start + batch_size]
            y_batch = y[start:start + batch_size]
            # x_batch = x_batch.to(device)
            # y_batch = y_batch.to(device)
            optimizer.zero_grad()  # forget the previous batch's gradients
            y_hat = model(x_batch)
            loss = loss_function(y_hat, y_batch)
            loss.backward()  # gradients of the loss with respect to every weight
            optimizer.step()  # one update of the weights
            epoch_losses.append(loss.item())
        losses.append(sum(epoch_losses) / len(epoch_losses))
        print(f"epoch {epoch:2d}  training loss {losses[-1]:.4f}")
    return losses


if __name__ == "__main__":
    main()
