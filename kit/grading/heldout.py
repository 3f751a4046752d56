"""The sandbox's view of a dataset: train/val with labels, holdout without, under anonymous names.

Students hold the test split with its labels, so the accuracy grader uses the holdout split
only (``kit.data.manifest.HOLDOUT``); the test split does not enter the view at all.

Held-out labels stay on the trusted side in ``heldout_labels.json`` beside (not inside) the
``public/`` folder that is copied into sandboxes.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from kit.data.feature_files import read_feature_file, write_feature_file
from kit.data.manifest import HOLDOUT, SPLIT_FOLDERS


def build_view(feature_root: Path, view: Path, *, seed: int = 0) -> Path:
    """Write ``view/public`` and ``view/heldout_labels.json`` from a labelled feature folder.

    Rebuilt only when missing; the anonymous order is fixed by ``seed``.
    """
    done = view / "VIEW_COMPLETE"
    if done.is_file() and done.read_text() == str(feature_root.resolve()):
        return view
    if view.exists():
        shutil.rmtree(view)
    public = view / "public"
    for split in ("train", "val"):
        shutil.copytree(feature_root / SPLIT_FOLDERS[split], public / SPLIT_FOLDERS[split])
    heldout_files = sorted((feature_root / SPLIT_FOLDERS[HOLDOUT]).glob("*.npz"))
    if not heldout_files:
        raise SystemExit(f"{feature_root} has no holdout clips: the held-out accuracy needs clips students "
                         "never received (the manifest's holdout split, in holdout/ of a pre-split copy)")
    random.Random(seed).shuffle(heldout_files)
    labels = {}
    for index, path in enumerate(heldout_files):
        features, label = read_feature_file(path)
        name = f"clip_{index:04d}.npz"
        write_feature_file(public / SPLIT_FOLDERS[HOLDOUT] / name, features, None)
        labels[name] = label
    (view / "heldout_labels.json").write_text(json.dumps(labels, indent=0, sort_keys=True))
    done.write_text(str(feature_root.resolve()))
    return view
