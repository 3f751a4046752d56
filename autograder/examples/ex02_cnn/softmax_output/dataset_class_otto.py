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
        self.files = sorted(Path(split_folder).glob("*.npz"))
        if not self.files:
            raise FileNotFoundError(f"no .npz feature files in {split_folder}")

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        with np.load(self.files[index], allow_pickle=False) as data:
            features = torch.from_numpy(np.asarray(data["features"], dtype=np.float32))
            label = torch.tensor(int(data["label"]), dtype=torch.int64)
        return features, label


def get_data_loaders(root, batch_size=16):
    """The training, validation and testing loaders over the feature folder ``root``.

    Returns (train_loader, val_loader, test_loader), each a torch DataLoader of a MyDataset
    over ``root/training``, ``root/validation`` and ``root/testing`` with ``batch_size``.
    Only the training loader shuffles; the validation and testing loaders keep the files'
    order, so that a model's loss and accuracy on them are the same every time.
    """
    root = Path(root)
    train_loader = DataLoader(MyDataset(root / "training"), batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(MyDataset(root / "validation"), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(MyDataset(root / "testing"), batch_size=batch_size, shuffle=False)
    return train_loader, val_loader, test_loader
