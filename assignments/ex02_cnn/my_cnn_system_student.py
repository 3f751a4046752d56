"""A small convolutional network that tells music (class 1) from speech (class 0).

Rename this file to ``my_cnn_system_<yourname>.py`` before you submit it.

The input is a batch of log-mel spectrograms laid out time x mel: (B, T, F) with
F = 40 mel bands. The network returns one logit per clip; apply a sigmoid outside
the model (``nn.BCEWithLogitsLoss`` does it for you during training).
"""

import torch
from torch import nn


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of one dimension after a Conv1d, Conv2d or MaxPool2d layer.

    Apply it to each dimension separately (time, then mel). Arguments are ints as
    given to the layer; returns an int (see the Conv2d page of the PyTorch docs).
    """
    raise NotImplementedError("not implemented: compute the output size with the formula from the handout")


class MyCNNSystem(nn.Module):
    """Two convolution blocks, dropout and a linear output layer.

    Each block is Conv2d -> ReLU -> BatchNorm2d -> MaxPool2d, where the pooling
    kernel and stride are both the pool size. Then Dropout, flatten, and
    Linear(in_features, 1). ``in_features`` is computed from ``n_frames`` (time)
    and ``n_mels`` with ``conv_output_size``; nothing depends on T = 646.
    """

    def __init__(
        self,
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
        dropout: float = 0.25,
        n_mels: int = 40,
        n_frames: int = 108,
    ) -> None:
        super().__init__()
        raise NotImplementedError("not implemented: define the layers and compute in_features of the linear layer")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) or (B, 1, T, F) float32 log-mel, time x mel; returns logits (B, 1); apply sigmoid outside.

        Raises ValueError for any other number of dimensions.
        """
        raise NotImplementedError("not implemented: run both blocks, dropout and the linear layer")
