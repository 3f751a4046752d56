"""The course's feature-folder format, shared by the kit cache, ex01 and ex02.

A feature folder holds one sub-folder per split (``training/``, ``validation/``,
``testing/``) and one ``<clip>.npz`` per clip with two arrays:

- ``features``: float32, shape (T, n_mels), time x mel, log-mel band energies;
- ``label``: int64 scalar, the class id (index into the manifest's ``labels``).

The held-out copy given to a sandbox leaves ``label`` out. We use ``.npz`` instead of the
course's historical pickles because it can be read without running code
(``allow_pickle=False``), which matters when the file was written by a student.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from kit.files import atomic_path

FEATURE_SUFFIX = ".npz"


def write_feature_file(path: str | Path, features: np.ndarray, label: int | None) -> None:
    arrays = {"features": np.asarray(features, dtype=np.float32)}
    if label is not None:
        arrays["label"] = np.asarray(label, dtype=np.int64)
    # An interrupted run never leaves a half file.
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def read_feature_file(path: str | Path) -> tuple[np.ndarray, int | None]:
    """Read one feature file as data; never unpickles."""
    with np.load(path, allow_pickle=False) as data:
        features = data["features"]
        label = int(data["label"]) if "label" in data.files else None
    return features, label
