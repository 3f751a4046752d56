# Mira's CNN: two Conv -> ReLU -> BN -> MaxPool blocks, dropout, one linear output.
import torch
import torch.nn as nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class MyCNNSystem(nn.Module):
    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1, conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2, dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, conv1_channels, conv1_kernel, conv1_stride, conv1_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv1_channels),
            nn.MaxPool2d(pool1_size, pool1_size),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(conv1_channels, conv2_channels, conv2_kernel, conv2_stride, conv2_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv2_channels),
            nn.MaxPool2d(pool2_size, pool2_size),
        )
        self.drop = nn.Dropout(dropout)
        t = n_frames
        f = n_mels
        t = conv_output_size(conv_output_size(t, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        f = conv_output_size(conv_output_size(f, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        t = conv_output_size(conv_output_size(t, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        f = conv_output_size(conv_output_size(f, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        self.out = nn.Linear(conv2_channels * t * f, 1)

    def forward(self, x):
        if x.ndim == 3:
            x = x[:, None, :, :]
        if x.ndim != 4:
            raise ValueError("input must be (batch, time, mel), got shape " + str(list(x.shape)))
        h = self.block2(self.block1(x))
        h = self.drop(h)
        h = h.view(h.size(0), -1)
        return self.out(h)
