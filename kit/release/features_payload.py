"""The autograder zip's data: the dataset's cached features and its manifest.

``kit.data.cache.prepare_dataset`` verifies the dataset and fills the cache when needed
(``make data``); its feature folder is copied to ``features/<dataset>/`` in the zip, every
split with its labels (the engine hides the test labels from the sandbox), each ``.npz``
rewritten canonically so the zip's bytes do not depend on when the cache was built. The
effective manifest goes to ``data_manifests/`` under its usual file name.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kit.data.manifest import SPLIT_FOLDERS, SPLITS, save_manifest
from kit.release.student import ReleaseError, manifest_path
from kit.zipfiles import canonical_npz


def feature_folder(dataset: str) -> str:
    """Where the features sit inside the autograder zip (relative to its root)."""
    return f"features/{dataset}"


def payload(dataset: str, repo: Path, data_dir: Path | None = None) -> dict[str, bytes]:
    from kit.data.cache import DatasetError, prepare_dataset

    try:
        features = prepare_dataset(dataset, data_dir, progress=False)
    except DatasetError as error:
        raise ReleaseError(f"cannot ship the {dataset} features:\n{error}") from None
    files = {}
    for split in SPLITS:
        paths = features.files(split)
        if not paths:
            raise ReleaseError(f"the {dataset} features have no {split} split")
        for path in paths:
            name = f"{feature_folder(dataset)}/{SPLIT_FOLDERS[split]}/{path.name}"
            files[name] = canonical_npz(path.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / manifest_path(dataset, repo).name
        save_manifest(features.manifest, manifest)
        files[f"data_manifests/{manifest.name}"] = manifest.read_bytes()
    return files
