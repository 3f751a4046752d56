"""Part 3.1: getting and initialising the data, a Dataset over feature files and three loaders.

Rename this file to ``dataset_class_<yourname>.py`` (and the import in your training
script's ``main()``) before you submit it.

A feature folder (what your exercise-1 code writes, and ``features/`` in
``music_speech_subset.zip``) holds one sub-folder per split, each with one ``.npz`` file per
clip::

    features/
        training/    *.npz
        validation/  *.npz
        testing/     *.npz

Each file holds two arrays: ``features``, float32 of shape (T, 40) (time x mel, log-mel band
energies), and ``label``, an int64 scalar: 0 = speech, 1 = music. Read the files with
``numpy.load(path, allow_pickle=False)``.
"""

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class MyDataset(Dataset):
    """The clips of one split folder, e.g. ``features/training``.

    ``len(dataset)`` is the number of ``.npz`` files in the folder, and ``dataset[i]`` is the
    pair (features, label) of the i-th file in sorted name order: features a float32 tensor
    of shape (T, 40), label an int64 tensor holding 0 (speech) or 1 (music).
    """

    def __init__(self, split_folder):
        raise NotImplementedError("not implemented: find the split folder's .npz files (sorted by name)")

    def __len__(self):
        raise NotImplementedError("not implemented: the number of clips")

    def __getitem__(self, index):
        raise NotImplementedError("not implemented: read the index-th file and return (float32 features, int64 label)")


def get_data_loaders(root, batch_size=16):
    """The training, validation and testing loaders over the feature folder ``root``.

    Returns (train_loader, val_loader, test_loader), each a torch DataLoader of a MyDataset
    over ``root/training``, ``root/validation`` and ``root/testing`` with ``batch_size``.
    Only the training loader shuffles; the validation and testing loaders keep the files'
    order, so that a model's loss and accuracy on them are the same every time.
    """
    raise NotImplementedError("not implemented: one MyDataset per split folder; shuffle the training loader only")
