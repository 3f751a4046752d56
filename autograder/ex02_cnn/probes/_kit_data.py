"""The kit's own part 3.1: a Dataset and data loaders over a feature folder.

The graders of parts 3.2 and 3.3 train and test with these loaders, never with the
student's ``dataset_class_<name>.py``, so that a data-loading bug costs part 3.1's points
only. For the same reason, ``stand_in_when_unusable`` puts this module in place of a student's
dataset module that cannot be imported (a training file may import it at its top) or, for
the main probe, cannot feed a model. The API is the handout's (``MyDataset``,
``get_data_loaders``).

A feature folder has one sub-folder per split, each holding one ``.npz`` file per clip
(``features`` float32 (T, 40), ``label`` int64 scalar; a held-out file has no ``label``
and gets -1)::

    features/  training/*.npz  validation/*.npz  testing/*.npz
"""

from pathlib import Path

import _probe_runtime as rt
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

SPLIT_FOLDERS = ("training", "validation", "testing")
NO_LABEL = -1
PREFIX = "dataset_class_"


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


def make_loader(folder, batch_size: int = 16, *, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """A loader over one split folder; a shuffling one's order depends only on ``seed``."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(MyDataset(folder), batch_size=batch_size, shuffle=shuffle, generator=generator)


def get_data_loaders(root, batch_size: int = 16, seed: int = 0, **_ignored):
    """(training, validation, testing) loaders over ``root``; only the training one shuffles.

    Unknown keywords (a student's main() may pass its own options) are ignored.
    """
    root = Path(root)
    return (make_loader(root / "training", batch_size, shuffle=True, seed=seed),
            make_loader(root / "validation", batch_size), make_loader(root / "testing", batch_size))


def _cannot_feed_a_model(module, root) -> str | None:
    loaders = module.get_data_loaders(root, 4)
    if not isinstance(loaders, (tuple, list)) or len(loaders) != 3:
        return "its get_data_loaders does not return three loaders"
    # A validation or testing loader that drops clips (drop_last) may give a script nothing to
    # validate or test on: that is 0.5's to charge, not the script run's. Batches larger than a
    # split show it whatever batch size the script uses.
    clips = {split: len(list(Path(root, split).glob("*.npz"))) for split in SPLIT_FOLDERS[1:]}
    whole = module.get_data_loaders(root, max(clips.values()) + 1)
    for (split, count), loader in zip(clips.items(), list(whole)[1:]):
        if sum(len(y) for _, y in loader) != count:
            return f"its {split} loader does not give each of the {count} clips once per pass (see 0.5)"
    for loader in loaders:
        x, y = next(iter(loader))
        if not (isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.ndim == 3):
            return "its loaders' batches are not float32 (B, T, F) tensors"
        if not (isinstance(y, torch.Tensor) and not y.is_floating_point() and y.shape[:1] == x.shape[:1]):
            return "its loaders' labels are not one integer per clip"
    return None


def stand_in_when_unusable(*, alias: bool = True, feed_from=None) -> str | None:
    """Import the student's dataset module, or put this module in its place; returns why, or None.

    The student's module is replaced when it is missing or fails to import, and, given a
    feature folder ``feed_from``, when its loaders cannot feed a model. ``alias`` as in
    ``import_student``: the main probe imports without it, so that a forgotten rename is
    charged to the script run.
    """
    try:
        module = rt.import_student(PREFIX, alias=alias)
        problem = _cannot_feed_a_model(module, feed_from) if feed_from is not None else None
    except rt.StudentCodeError as error:  # missing, or failed to import: the message says which
        problem = str(error).splitlines()[0][:200]
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raises
        problem = f"it raised {type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    if problem is not None:
        rt.redirect_prefix(PREFIX, __file__)
    return problem
