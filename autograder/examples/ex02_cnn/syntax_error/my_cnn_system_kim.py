# -*- coding: utf-8 -*-
import torch
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Output size of a Conv/MaxPool layer along one dimension."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class MyCNNSystem(nn.Module):

    def __init__(self, conv1_channels=16, conv2_channels=32,
                 conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1,
                 conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2,
                 dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()

        self.cnn_layer_1 = nn.Conv2d(1, conv1_channels, conv1_kernel, stride=conv1_stride, padding=conv1_padding)
        self.activation_1 = nn.ReLU()
        self.normalization_1 = nn.BatchNorm2d(conv1_channels)
        self.pooling_1 = nn.MaxPool2d(pool1_size, stride=pool1_size)

        self.cnn_layer_2 = nn.Conv2d(conv1_channels, conv2_channels, conv2_kernel, stride=conv2_stride, padding=conv2_padding)
        self.activation_2 = nn.ReLU()
        self.normalization_2 = nn.BatchNorm2d(conv2_channels)
        self.pooling_2 = nn.MaxPool2d(pool2_size, stride=pool2_size)

        self.dropout = nn.Dropout(dropout)

        sizes = []
        for dim in (n_frames, n_mels):
            dim = conv_output_size(dim, conv1_kernel, conv1_stride, conv1_padding)
            dim = conv_output_size(dim, pool1_size, pool1_size)
            dim = conv_output_size(dim, conv2_kernel, conv2_stride, conv2_padding)
            dim = conv_output_size(dim, pool2_size, pool2_size)
            sizes.append(dim)

        self.fc_layer = nn.Linear(conv2_channels * sizes[0] * sizes[1], 1)

    def forward(self, x):
        """x: (B, T, F) or (B, 1, T, F). Returns logits of shape (B, 1)."""
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4:
            raise ValueError(f"bad input shape {tuple(x.shape)}")
        h = self.pooling_1(self.normalization_1(self.activation_1(self.cnn_layer_1(x))))
        h = self.pooling_2(self.normalization_2(self.activation_2(self.cnn_layer_2(h))))
        h = self.dropout(h)
        return self.fc_layer(h.flatten(start_dim=1))
