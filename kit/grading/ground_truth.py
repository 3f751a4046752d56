"""Expected values a grader asks a library for, computed once and kept on the trusted side.

ex02's formula checks ask torch what Conv1d, Conv2d and MaxPool2d produce for about 200
grader-chosen argument sets. Importing torch for that costs the scoring process about 1 s
per submission, yet the answers depend only on the grader's code and the libraries'
versions: the first submission computes them, the others read them.

The file lives in build/cache/ground_truth/, which the sandbox never mounts (and which the
fallback sandbox locks with the rest of build/, kit/grading/cli.py). A file that cannot be
read, or a kit folder that cannot be written (a packaged autograder), means computing again:
never a wrong value, only a slower one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kit.files import atomic_write_text
from kit.paths import BUILD

GROUND_TRUTH = BUILD / "cache" / "ground_truth"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def cache_key(source: Path, libraries: Iterable[str]) -> str:
    """Changes when the grader's file or any of the libraries that compute the answers does."""
    basis = {"source": Path(source).read_text(encoding="utf-8"),
             "versions": {name: _version(name) for name in sorted(libraries)}}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:20]


def cached(name: str, *, source: Path, libraries: Iterable[str], compute: Callable[[], Any],
           folder: Path = GROUND_TRUTH) -> Any:
    """``compute()`` (JSON data), or what it returned the last time for the same key.

    ``source``: the grader file whose code chooses the cases and computes the answers.
    ``libraries``: the distributions whose versions can change an answer (e.g. torch, numpy).
    """
    path = Path(folder) / f"{name}-{cache_key(source, libraries)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    value = json.loads(json.dumps(compute()))  # the same lists and numbers a later read returns
    try:
        # Owner-only, whether or not build/ existed when the grader locked it (kit/grading/cli.py).
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        atomic_write_text(path, json.dumps({"name": name, "value": value}))
    except OSError:
        pass  # read-only: the next submission computes again
    return value
