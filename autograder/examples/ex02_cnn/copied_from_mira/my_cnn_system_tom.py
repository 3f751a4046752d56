# CNN (Tom)
import torch
import torch.nn as nn


class MyCNNSystem(nn.Module):
    def forward(self, inp):
        if inp.ndim == 3:
            inp = inp[:, None, :, :]
        if inp.ndim != 4:
            raise ValueError("input must be (batch, time, mel), got shape " + str(list(inp.shape)))
        z = self.second(self.first(inp))
        z = self.dropout_layer(z)
        z = z.view(z.size(0), -1)
        return self.linear(z)

    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1, conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2, dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()
        self.first = nn.Sequential(
            nn.Conv2d(1, conv1_channels, conv1_kernel, conv1_stride, conv1_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv1_channels),
            nn.MaxPool2d(pool1_size, pool1_size),
        )
        self.second = nn.Sequential(
            nn.Conv2d(conv1_channels, conv2_channels, conv2_kernel, conv2_stride, conv2_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv2_channels),
            nn.MaxPool2d(pool2_size, pool2_size),
        )
        self.dropout_layer = nn.Dropout(dropout)
        time_len = n_frames
        mel_len = n_mels
        time_len = conv_output_size(conv_output_size(time_len, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        mel_len = conv_output_size(conv_output_size(mel_len, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        time_len = conv_output_size(conv_output_size(time_len, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        mel_len = conv_output_size(conv_output_size(mel_len, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        self.linear = nn.Linear(conv2_channels * time_len * mel_len, 1)


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
