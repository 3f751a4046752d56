"""The kit's own part 3.1: a Dataset and data loaders over a feature folder.

The graders of parts 3.2 and 3.3 train and test with these loaders, never with the
student's ``dataset_class_<name>.py``, so that a data-loading bug costs part 3.1's points
only; the main probe puts this module in place of a student's dataset module that fails
its own checks. The API is the handout's (``MyDataset``, ``get_data_loaders``).

A feature folder has one sub-folder per split, each holding one ``.npz`` file per clip
(``features`` float32 (T, 40), ``label`` int64 scalar; a held-out file has no ``label``
and gets -1)::

    features/  training/*.npz  validation/*.npz  testing/*.npz
"""

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

SPLIT_FOLDERS = ("training", "validation", "testing")
NO_LABEL = -1


class MyDataset(Dataset):
    """One split folder of feature files; items are (features float32 (T, 40), label int64).

    All files are read once, when the dataset is created.
    """

    def __init__(self, split_folder) -> None:
        self.folder = Path(split_folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no split folder {self.folder}")
        self.files = sorted(self.folder.glob("*.npz"))
        if not self.files:
            raise FileNotFoundError(f"no .npz feature files in {self.folder}")
        self.features, self.labels = [], []
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


def get_data_loaders(root, batch_size: int = 16, seed: int = 0, **_ignored):
    """(training, validation, testing) loaders over ``root``; only the training one shuffles.

    The shuffling order depends only on ``seed``. Unknown keywords (a student's main() may
    pass its own options) are ignored.
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    root = Path(root)
    train_loader = DataLoader(MyDataset(root / "training"), batch_size=batch_size, shuffle=True, generator=generator)
    val_loader = DataLoader(MyDataset(root / "validation"), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(MyDataset(root / "testing"), batch_size=batch_size, shuffle=False)
    return train_loader, val_loader, test_loader
