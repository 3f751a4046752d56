import torch
import torch.nn as nn


# calculate output size of conv/pooling layer
def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1


class MyCNNSystem(nn.Module):
    def __init__(self, conv1_channels=16, conv2_channels=32, conv1_kernel=5, conv2_kernel=5,
                 conv1_stride=1, conv2_stride=1, conv1_padding=2, conv2_padding=2,
                 pool1_size=2, pool2_size=2, dropout=0.25, n_mels=40, n_frames=108):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, conv1_channels, kernel_size=conv1_kernel, stride=conv1_stride, padding=conv1_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv1_channels),
            nn.MaxPool2d(pool1_size, stride=pool1_size))
        self.layer2 = nn.Sequential(
            nn.Conv2d(conv1_channels, conv2_channels, kernel_size=conv2_kernel, stride=conv2_stride,
                      padding=conv2_padding),
            nn.ReLU(),
            nn.BatchNorm2d(conv2_channels),
            nn.MaxPool2d(pool2_size, stride=pool2_size))
        self.dropout = nn.Dropout(dropout)

        # output size after the two blocks (time and mel)
        t = conv_output_size(conv_output_size(n_frames, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        t = conv_output_size(conv_output_size(t, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        f = conv_output_size(conv_output_size(n_mels, conv1_kernel, conv1_stride, conv1_padding), pool1_size, pool1_size)
        f = conv_output_size(conv_output_size(f, conv2_kernel, conv2_stride, conv2_padding), pool2_size, pool2_size)
        self.fc = nn.Linear(conv2_channels*t*f, 1)

    def forward(self, x):
        # (B, T, F) -> (B, 1, T, F)
        if x.dim() == 3:
            x = x.unsqueeze(1)
        elif x.dim() != 4:
            raise ValueError('expected (B, T, F) or (B, 1, T, F), got ' + str(x.shape))
        out = self.layer1(x)
        out = self.layer2(out)
        out = self.dropout(out)
        out = out.reshape(out.size(0), -1)
        out = self.fc(out)
        return out
