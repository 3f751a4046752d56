#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""CNN for music vs speech classification (exercise 2). Jonas K."""

from torch import Tensor
from torch.nn import BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential

__docformat__ = 'reStructuredText'
__all__ = ['MyCNNSystem', 'conv_output_size']


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Calculates the output size of a convolution/pooling along one dimension.

    :param size: Input size.
    :param kernel: Kernel size.
    :param stride: Stride.
    :param padding: Zero padding (on both sides).
    :param dilation: Dilation.
    :return: Output size.
    """
    return int((size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1)


class MyCNNSystem(Module):

    def __init__(self,
                 conv1_channels: int = 16, conv2_channels: int = 32,
                 conv1_kernel: int = 5, conv2_kernel: int = 5,
                 conv1_stride: int = 1, conv2_stride: int = 1,
                 conv1_padding: int = 2, conv2_padding: int = 2,
                 pool1_size: int = 2, pool2_size: int = 2,
                 dropout: float = 0.25,
                 n_mels: int = 40, n_frames: int = 108) -> None:
        """MyCNNSystem, using two CNN layers, followed by a linear layer.

        :param conv1_channels: Output channels of the first CNN.
        :param conv2_channels: Output channels of the second CNN.
        :param conv1_kernel: Kernel size of the first CNN.
        :param conv2_kernel: Kernel size of the second CNN.
        :param dropout: Dropout probability.
        :param n_mels: Amount of mel bands of the input.
        :param n_frames: Amount of time frames of the input.
        """
        super().__init__()

        self.block_1 = Sequential(
            Conv2d(in_channels=1, out_channels=conv1_channels,
                   kernel_size=conv1_kernel, stride=conv1_stride, padding=conv1_padding),
            ReLU(),
            BatchNorm2d(conv1_channels),
            MaxPool2d(kernel_size=pool1_size, stride=pool1_size))

        self.block_2 = Sequential(
            Conv2d(in_channels=conv1_channels, out_channels=conv2_channels,
                   kernel_size=conv2_kernel, stride=conv2_stride, padding=conv2_padding),
            ReLU(),
            BatchNorm2d(conv2_channels),
            MaxPool2d(kernel_size=pool2_size, stride=pool2_size))

        self.dropout = Dropout(dropout)

        # Our clips are 30 s -> 646 frames (hop 1024 at 22050 Hz)
        time_dim = 646
        time_dim = conv_output_size(time_dim, conv1_kernel, conv1_stride, conv1_padding)
        time_dim = conv_output_size(time_dim, pool1_size, pool1_size)
        time_dim = conv_output_size(time_dim, conv2_kernel, conv2_stride, conv2_padding)
        time_dim = conv_output_size(time_dim, pool2_size, pool2_size)

        mel_dim = conv_output_size(n_mels, conv1_kernel, conv1_stride, conv1_padding)
        mel_dim = conv_output_size(mel_dim, pool1_size, pool1_size)
        mel_dim = conv_output_size(mel_dim, conv2_kernel, conv2_stride, conv2_padding)
        mel_dim = conv_output_size(mel_dim, pool2_size, pool2_size)

        self.classifier = Linear(in_features=conv2_channels * time_dim * mel_dim, out_features=1)

    def forward(self, x: Tensor) -> Tensor:
        """Forward pass.

        :param x: Input features, (batch, time, mel) or (batch, 1, time, mel).
        :return: Logits, (batch, 1).
        """
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4:
            raise ValueError(f'Expected a 3D or 4D input, got {x.dim()}D')
        h = self.block_1(x)
        h = self.block_2(h)
        h = self.dropout(h)
        h = h.flatten(start_dim=1)
        return self.classifier(h)

# EOF
