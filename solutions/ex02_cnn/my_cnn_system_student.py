"""A small convolutional network that tells music (class 1) from speech (class 0).

Rename this file to ``my_cnn_system_<yourname>.py`` before you submit it.

The input is a batch of log-mel spectrograms laid out time x mel: (B, T, F) with
F = 40 mel bands. The network returns one logit per clip; apply a sigmoid outside
the model (``nn.BCEWithLogitsLoss`` does it for you during training).
"""

import torch
from torch import nn


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of one dimension after a Conv1d, Conv2d or MaxPool2d layer.

    Apply it to each dimension separately (time, then mel). Arguments are ints as
    given to the layer; returns an int (see the Conv2d page of the PyTorch docs).
    """
    # BEGIN SOLUTION: compute the output size with the formula from the handout
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    # END SOLUTION


class MyCNNSystem(nn.Module):
    """Two convolution blocks, dropout and a linear output layer.

    Each block is Conv2d -> ReLU -> BatchNorm2d -> MaxPool2d, where the pooling
    kernel and stride are both the pool size. Then Dropout, flatten, and
    Linear(in_features, 1). ``in_features`` is computed from ``n_frames`` (time)
    and ``n_mels`` with ``conv_output_size``; nothing depends on T = 646.
    """

    def __init__(
        self,
        conv1_channels: int = 16,
        conv2_channels: int = 32,
        conv1_kernel: int = 5,
        conv2_kernel: int = 5,
        conv1_stride: int = 1,
        conv2_stride: int = 1,
        conv1_padding: int = 2,
        conv2_padding: int = 2,
        pool1_size: int = 2,
        pool2_size: int = 2,
        dropout: float = 0.25,
        n_mels: int = 40,
        n_frames: int = 108,
    ) -> None:
        super().__init__()
        # BEGIN SOLUTION: define the layers and compute in_features of the linear layer
        self.n_frames = n_frames
        self.n_mels = n_mels
        self.conv1 = nn.Conv2d(1, conv1_channels, conv1_kernel, stride=conv1_stride, padding=conv1_padding)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(conv1_channels)
        self.pool1 = nn.MaxPool2d(pool1_size, stride=pool1_size)
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, conv2_kernel, stride=conv2_stride, padding=conv2_padding)
        self.relu2 = nn.ReLU()
        self.bn2 = nn.BatchNorm2d(conv2_channels)
        self.pool2 = nn.MaxPool2d(pool2_size, stride=pool2_size)
        self.dropout = nn.Dropout(dropout)

        sizes = []
        for size in (n_frames, n_mels):
            size = conv_output_size(size, conv1_kernel, conv1_stride, conv1_padding)
            size = conv_output_size(size, pool1_size, pool1_size)
            size = conv_output_size(size, conv2_kernel, conv2_stride, conv2_padding)
            size = conv_output_size(size, pool2_size, pool2_size)
            sizes.append(size)
        time_out, mel_out = sizes
        if time_out < 1 or mel_out < 1:
            raise ValueError(
                f"input of {n_frames} frames x {n_mels} mels is too small for these layers "
                f"(output would be {time_out} x {mel_out})"
            )
        self.fc = nn.Linear(conv2_channels * time_out * mel_out, 1)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) or (B, 1, T, F) float32 log-mel, time x mel; returns logits (B, 1); apply sigmoid outside.

        Raises ValueError for any other number of dimensions.
        """
        # BEGIN SOLUTION: run both blocks, dropout and the linear layer
        if x.dim() == 3:
            x = x.unsqueeze(1)
        elif x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"expected x of shape (B, T, F) or (B, 1, T, F), got {tuple(x.shape)}")
        if tuple(x.shape[-2:]) != (self.n_frames, self.n_mels):
            raise ValueError(
                f"expected {self.n_frames} frames x {self.n_mels} mels (the constructor's n_frames, n_mels), "
                f"got {tuple(x.shape[-2:])}"
            )
        x = self.pool1(self.bn1(self.relu1(self.conv1(x))))
        x = self.pool2(self.bn2(self.relu2(self.conv2(x))))
        x = self.dropout(x)
        return self.fc(torch.flatten(x, start_dim=1))
        # END SOLUTION
