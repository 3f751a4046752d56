# Exercise 2 - MyCNNSystem
# Li Wei

import torch
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Output size of conv / pool along one dim (PyTorch docs formula)."""
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    return int(out // 1)


class MyCNNSystem(nn.Module):
    def __init__(self, conv1_channels=16, conv2_channels=32,
                 conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1,
                 conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2,
                 dropout=0.25, n_mels=40, n_frames=108):
        super(MyCNNSystem, self).__init__()

        self.cnn_1 = nn.Conv2d(1, conv1_channels, kernel_size=conv1_kernel,
                               stride=conv1_stride, padding=conv1_padding)
        self.relu_1 = nn.ReLU()
        self.batch_norm_1 = nn.BatchNorm2d(conv1_channels)
        self.pooling_1 = nn.MaxPool2d(kernel_size=pool1_size, stride=pool1_size)

        self.cnn_2 = nn.Conv2d(conv1_channels, conv2_channels, kernel_size=conv2_kernel,
                               stride=conv2_stride, padding=conv2_padding)
        self.relu_2 = nn.ReLU()
        self.batch_norm_2 = nn.BatchNorm2d(conv2_channels)
        self.pooling_2 = nn.MaxPool2d(kernel_size=pool2_size, stride=pool2_size)

        self.dropout = nn.Dropout(dropout)

        h, w = n_frames, n_mels
        for k, s, p in [(conv1_kernel, conv1_stride, conv1_padding), (pool1_size, pool1_size, 0),
                        (conv2_kernel, conv2_stride, conv2_padding), (pool2_size, pool2_size, 0)]:
            h = conv_output_size(h, k, s, p)
            w = conv_output_size(w, k, s, p)

        self.linear = nn.Linear(conv2_channels * h * w, 1)
        # output is a probability of music
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        # x: (batch, time, mel) or (batch, 1, time, mel)
        if len(x.shape) == 3:
            x = x.unsqueeze(1)
        elif len(x.shape) != 4:
            raise ValueError('wrong input shape: %s' % (tuple(x.shape),))

        x = self.pooling_1(self.batch_norm_1(self.relu_1(self.cnn_1(x))))
        x = self.pooling_2(self.batch_norm_2(self.relu_2(self.cnn_2(x))))
        x = self.dropout(x)
        x = torch.flatten(x, 1)
        x = self.linear(x)
        return self.sigmoid(x)
