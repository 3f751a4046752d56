"""Parts 1 and 3: counting a network's size, and the intent classifier CNN.

Rename this file to ``intent_cnn_<yourname>.py`` (and the imports in your training script's
``main()``) before you submit it.

The architecture is yours to choose, as in the chapter: a 1-D CNN on the raw waveform or a
2-D CNN on log-mel band energies. Say which with ``INPUT_KIND``; your dataset then gives
the model that input (``ITALICDataset(root, split, input_kind=INPUT_KIND)``).
"""

import torch
from torch import nn

# "waveform": forward takes (B, 64000) raw audio (4 s at 16 kHz);
# "log_mel": forward takes (B, 251, 40) log-mel band energies (time x mel).
INPUT_KIND = "log_mel"


def count_fc_parameters(n_inputs, layer_sizes):
    """The number of parameters of a stack of fully connected layers, as torch counts them.

    ``n_inputs`` features go into ``nn.Linear(n_inputs, layer_sizes[0])``, then
    ``nn.Linear(layer_sizes[0], layer_sizes[1])`` and so on. Every layer has a weight matrix
    and a bias vector. Example (the chapter's exercise): 1 s of 44.1 kHz audio into three layers
    of 1000 units: ``count_fc_parameters(44100, [1000, 1000, 1000]) == 46_103_000``.
    """
    raise NotImplementedError("not implemented: weights (inputs x outputs) and biases (outputs) of every layer")


def conv_stack_output_length(length, layers):
    """The time length after a stack of ``nn.Conv1d`` and ``nn.MaxPool1d`` layers, as torch computes it.

    ``layers`` is a list of dicts, each with ``"type"`` ("Conv1d" or "MaxPool1d"),
    ``"kernel_size"`` and optionally ``"stride"``, ``"padding"`` and ``"dilation"`` with torch's
    defaults: stride 1 for Conv1d and ``kernel_size`` for MaxPool1d, padding 0, dilation 1.
    """
    raise NotImplementedError("not implemented: floor((L + 2p - d (k - 1) - 1) / s) + 1 for each layer")


class IntentCNN(nn.Module):
    """A CNN from one clip's input (see ``INPUT_KIND``) to one logit per intent.

    ``IntentCNN(n_intents)``; ``forward(x)`` takes a float32 batch and returns logits of shape
    (B, n_intents): no softmax (``nn.CrossEntropyLoss`` applies it).
    """

    def __init__(self, n_intents=10):
        super().__init__()
        raise NotImplementedError("not implemented: your architecture (here: four conv blocks on log-mels, global max pooling)")

    def forward(self, x):
        raise NotImplementedError("not implemented: (B, T, 40) -> (B, n_intents) logits")
