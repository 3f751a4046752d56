"""
Audio classification with CNNs - model
Sofia R.
"""
import torch
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    # Compute the output length of a convolution (or pooling) along one axis.
    numerator = size + 2 * padding - dilation * (kernel - 1) - 1
    return numerator // stride + 1


class MyCNNSystem(nn.Module):

    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5, conv1_stride=1,
                 conv2_stride=1, conv1_padding=2, conv2_padding=2, pool1_size=2, pool2_size=2, dropout=0.25,
                 n_mels=40, n_frames=108):
        super().__init__()

        # Block 1: conv -> relu -> batchnorm -> maxpool
        self.conv1 = nn.Conv2d(1, conv1_channels, conv1_kernel, conv1_stride, conv1_padding)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(conv1_channels)
        self.pool1 = nn.MaxPool2d(pool1_size, pool1_size)

        # Block 2: conv -> relu -> batchnorm -> maxpool
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, conv2_kernel, conv2_stride, conv2_padding)
        self.relu2 = nn.ReLU()
        self.bn2 = nn.BatchNorm2d(conv2_channels)
        self.pool2 = nn.MaxPool2d(pool2_size, pool2_size)

        self.drop = nn.Dropout(dropout)

        # Time axis
        t_out = conv_output_size(n_frames, conv1_kernel, conv1_stride, conv1_padding)
        t_out = conv_output_size(t_out, pool1_size, pool1_size)
        t_out = conv_output_size(t_out, conv2_kernel, conv2_stride, conv2_padding)
        t_out = conv_output_size(t_out, pool2_size, pool2_size)
        # Mel axis
        f_out = conv_output_size(n_mels, conv1_kernel, conv1_stride, conv1_padding)
        f_out = conv_output_size(f_out, pool1_size, pool1_size)
        f_out = conv_output_size(f_out, conv2_kernel, conv2_stride, conv2_padding)
        f_out = conv_output_size(f_out, pool2_size, pool2_size)

        self.out = nn.Linear(conv2_channels * t_out * f_out, 1)

    def forward(self, x):
        """
        x: (B, T, F) or (B, 1, T, F) log-mel features
        returns: logits (B, 1), no sigmoid
        """
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4:
            raise ValueError("Input must be (B, T, F) or (B, 1, T, F), got " + str(list(x.shape)))

        # Block 1
        x = self.conv1(x)
        x = self.relu1(x)
        x = self.bn1(x)
        x = self.pool1(x)

        # Block 2
        x = self.conv2(x)
        x = self.relu2(x)
        x = self.pool2(x)

        x = self.drop(x)
        x = x.flatten(1)
        x = self.out(x)
        return x
