import torch
import torch.nn as nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Size of the output of a convolution or max pooling in one dimension.

    out = floor((size + 2*padding - dilation*(kernel-1) - 1) / stride + 1)
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class MyCNNSystem(nn.Module):
    """CNN with two conv blocks for music/speech classification."""

    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1, conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2, dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, conv1_channels, kernel_size=conv1_kernel, stride=conv1_stride, padding=conv1_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv1_channels),
            nn.MaxPool2d(kernel_size=pool1_size, stride=pool1_size),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(conv1_channels, conv2_channels, kernel_size=conv2_kernel, stride=conv2_stride,
                      padding=conv2_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv2_channels),
            nn.MaxPool2d(kernel_size=pool2_size, stride=pool2_size),
        )
        self.dropout = nn.Dropout(dropout)

        time_size = n_frames
        mel_size = n_mels
        # conv1 + pool1
        time_size = conv_output_size(time_size, conv1_kernel, conv1_stride, conv1_padding)
        mel_size = conv_output_size(mel_size, conv1_kernel, conv1_stride, conv1_padding)
        time_size = conv_output_size(time_size, pool1_size, pool1_size)
        mel_size = conv_output_size(mel_size, pool1_size, pool1_size)
        # conv2 + pool2
        time_size = conv_output_size(time_size, conv2_kernel, conv2_stride, conv2_padding)
        mel_size = conv_output_size(mel_size, conv2_kernel, conv2_stride, conv2_padding)
        time_size = conv_output_size(time_size, pool2_size, pool2_size)
        mel_size = conv_output_size(mel_size, pool2_size, pool2_size)

        self.linear = nn.Linear(conv2_channels * time_size * mel_size, 1)

    def forward(self, x):
        """x: (B, T, F) or (B, 1, T, F) float32 log-mel; returns logits (B, 1)."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        elif x.dim() != 4:
            raise ValueError(f"x must have 3 or 4 dimensions, got {x.dim()}")
        x = self.block1(x)
        x = self.block2(x)
        x = self.dropout(x)
        return self.linear(torch.flatten(x, 1))
