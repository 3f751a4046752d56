"""Loading the music/speech feature folders (provided: you do not need to change this file).

A feature folder has one sub-folder per split, each holding one ``.npz`` file per clip::

    features/
        training/    *.npz
        validation/  *.npz
        testing/     *.npz

Each file holds ``features``, a float32 array of shape (T, 40) (time x mel, log-mel band
energies), and ``label``, an int64 scalar: 0 = speech, 1 = music. Every clip of a dataset
has the same T (5 s clips give 108 frames, 30 s clips 646).

Usage::

    from music_speech_data import make_loaders
    train_loader, val_loader, test_loader = make_loaders("path/to/features", batch_size=16, seed=0)
    for x, y in train_loader:   # x: float32 (B, T, 40), y: int64 (B,)
        ...
"""

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

SPLIT_FOLDERS = {"train": "training", "val": "validation", "test": "testing"}
NO_LABEL = -1


class MusicSpeechFeatures(Dataset):
    """One split of a feature folder; items are (features float32 (T, 40), label int64).

    ``split`` is ``"training"``, ``"validation"`` or ``"testing"`` (or ``"train"``,
    ``"val"``, ``"test"``). A file without a ``label`` array gets the label -1.
    All files are read once, when the dataset is created.
    """

    def __init__(self, root, split: str) -> None:
        folder = SPLIT_FOLDERS.get(split, split)
        if folder not in SPLIT_FOLDERS.values():
            raise ValueError(f"unknown split {split!r}; use one of {sorted(SPLIT_FOLDERS.values())}")
        self.folder = Path(root) / folder
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no split folder {self.folder} (expected training/, validation/, testing/)")
        self.files = sorted(self.folder.glob("*.npz"))
        if not self.files:
            raise FileNotFoundError(f"no .npz feature files in {self.folder}")
        self.features = []
        self.labels = []
        for path in self.files:
            features, label = _read(path)
            if self.features and features.shape != self.features[0].shape:
                raise ValueError(
                    f"{path.name} has shape {tuple(features.shape)} but {self.files[0].name} has "
                    f"{tuple(self.features[0].shape)}: all clips of a split must have the same shape"
                )
            self.features.append(features)
            self.labels.append(label)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.features[index], self.labels[index]


def _read(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    # allow_pickle=False: a feature file is data only, never code.
    with np.load(path, allow_pickle=False) as data:
        features = np.asarray(data["features"], dtype=np.float32)
        label = int(data["label"]) if "label" in data.files else NO_LABEL
    if features.ndim != 2:
        raise ValueError(f"{path}: features should be 2-D (T, n_mels), got shape {features.shape}")
    return torch.from_numpy(features), torch.tensor(label, dtype=torch.int64)


def make_loaders(root, batch_size: int = 16, seed: int = 0) -> tuple[DataLoader, DataLoader, DataLoader]:
    """(train_loader, val_loader, test_loader) over ``root``; only the train loader shuffles.

    The shuffling order depends only on ``seed``.
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    train_loader = DataLoader(
        MusicSpeechFeatures(root, "training"), batch_size=batch_size, shuffle=True, generator=generator
    )
    val_loader = DataLoader(MusicSpeechFeatures(root, "validation"), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(MusicSpeechFeatures(root, "testing"), batch_size=batch_size, shuffle=False)
    return train_loader, val_loader, test_loader
