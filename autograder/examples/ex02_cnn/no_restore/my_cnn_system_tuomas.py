from typing import Union

import torch
import torch.nn as nn


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    # formula from https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class MyCNNSystem(nn.Module):

    def __init__(self,
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
                 dropout: Union[float, int] = 0.25,
                 n_mels: int = 40,
                 n_frames: int = 108) -> None:
        super().__init__()

        self.conv_block1 = nn.Sequential(
            nn.Conv2d(1, conv1_channels, kernel_size=conv1_kernel, stride=conv1_stride, padding=conv1_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv1_channels),
            nn.MaxPool2d(kernel_size=pool1_size, stride=pool1_size),
        )
        self.conv_block2 = nn.Sequential(
            nn.Conv2d(conv1_channels, conv2_channels, kernel_size=conv2_kernel, stride=conv2_stride,
                      padding=conv2_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv2_channels),
            nn.MaxPool2d(kernel_size=pool2_size, stride=pool2_size),
        )
        self.dropout = nn.Dropout(p=dropout)

        def after_blocks(n):
            n = conv_output_size(n, conv1_kernel, conv1_stride, conv1_padding)
            n = conv_output_size(n, pool1_size, pool1_size)
            n = conv_output_size(n, conv2_kernel, conv2_stride, conv2_padding)
            return conv_output_size(n, pool2_size, pool2_size)

        self.fc = nn.Linear(conv2_channels * after_blocks(n_frames) * after_blocks(n_mels), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) or (B, 1, T, F) log-mel. Returns logits (B, 1)."""
        if x.dim() == 3:
            x = x[:, None, :, :]
        elif x.dim() != 4:
            raise ValueError(f"MyCNNSystem expects 3 or 4 dims, got shape {list(x.shape)}")
        x = self.conv_block1(x)
        x = self.conv_block2(x)
        x = self.dropout(x)
        x = x.reshape(x.shape[0], -1)
        return self.fc(x)
