import torch
import torch.nn as nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    # output size of a conv / pooling layer (formula from the lecture)
    # we never use dilation in our network so its just the normal version
    return (size + 2 * padding - kernel) // stride + 1


class MyCNNSystem(nn.Module):

    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1, conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2, dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()

        # first block
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=conv1_channels, kernel_size=conv1_kernel,
                               stride=conv1_stride, padding=conv1_padding)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(conv1_channels)
        self.pool1 = nn.MaxPool2d(kernel_size=pool1_size, stride=pool1_size)

        # second block
        self.conv2 = nn.Conv2d(in_channels=conv1_channels, out_channels=conv2_channels,
                               kernel_size=conv2_kernel, stride=conv2_stride, padding=conv2_padding)
        self.relu2 = nn.ReLU()
        self.bn2 = nn.BatchNorm2d(conv2_channels)
        self.pool2 = nn.MaxPool2d(kernel_size=pool2_size, stride=pool2_size)

        self.dropout = nn.Dropout(dropout)

        # size of the time axis after everything
        t = conv_output_size(n_frames, conv1_kernel, conv1_stride, conv1_padding)
        t = conv_output_size(t, pool1_size, pool1_size)
        t = conv_output_size(t, conv2_kernel, conv2_stride, conv2_padding)
        t = conv_output_size(t, pool2_size, pool2_size)
        # same for the mel axis
        f = conv_output_size(n_mels, conv1_kernel, conv1_stride, conv1_padding)
        f = conv_output_size(f, pool1_size, pool1_size)
        f = conv_output_size(f, conv2_kernel, conv2_stride, conv2_padding)
        f = conv_output_size(f, pool2_size, pool2_size)

        self.fc = nn.Linear(in_features=conv2_channels * t * f, out_features=1)

    def forward(self, x):
        """x: (B, T, F) or (B, 1, T, F), returns logits (B, 1)"""
        if x.ndim == 3:
            x = x.unsqueeze(1)  # add channel dim
        elif x.ndim != 4:
            raise ValueError("input should be (B, T, F) or (B, 1, T, F) but got shape " + str(tuple(x.shape)))

        x = self.pool1(self.bn1(self.relu1(self.conv1(x))))
        x = self.pool2(self.bn2(self.relu2(self.conv2(x))))
        x = self.dropout(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)
