"""Expected values a grader asks a library for, computed once and kept on the trusted side.

ex02's formula checks ask torch what Conv1d, Conv2d and MaxPool2d produce for about 200
grader-chosen argument sets (:func:`cached`); ex01's graders ask librosa for the audio and
log-mel features of grader-made signals and files (:func:`memoized`). Importing torch or
librosa for that costs the scoring process 1 to 3 s per submission, yet the answers depend
only on the grader's code, its inputs and the libraries' versions: the first submission
computes them, the others read them.

The file lives in build/cache/ground_truth/, which the sandbox never mounts (and which the
fallback sandbox locks with the rest of build/, kit/grading/cli.py). A file that cannot be
read, or a kit folder that cannot be written (a packaged autograder), means computing again:
never a wrong value, only a slower one.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from kit.files import atomic_path, atomic_write_text
from kit.paths import BUILD

GROUND_TRUTH = BUILD / "cache" / "ground_truth"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _owner_only(folder: Path) -> None:
    """Expected values: owner-only, whether or not build/ existed when the grader locked it
    (kit/grading/cli.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _versions(libraries: Iterable[str]) -> dict[str, str]:
    """The installed version of each library that can change an answer (part of every key)."""
    return {name: _version(name) for name in sorted(libraries)}


def cache_key(source: Path, libraries: Iterable[str]) -> str:
    """Changes when the grader's file or any of the libraries that compute the answers does."""
    basis = {"source": Path(source).read_text(encoding="utf-8"), "versions": _versions(libraries)}
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
        _owner_only(path.parent)
        atomic_write_text(path, json.dumps({"name": name, "value": value}))
    except OSError:
        pass  # read-only: the next submission computes again
    return value


def memoized(function: Callable[..., np.ndarray], *args: Any, libraries: Iterable[str],
             folder: Path = GROUND_TRUTH) -> np.ndarray:
    """``function(*args)`` for a pure function that returns one numpy array, read back when the
    same call was made before.

    The key: the source file of ``function``'s module (the function and the helpers beside
    it), every argument (an array by its dtype, shape and bytes; a Path by its suffix and its
    file's bytes; anything else by its repr, so parameters must be dataclasses or plain
    values) and the versions of ``libraries``. Stored as .npy, read with allow_pickle=False.
    """
    digest = hashlib.sha256(f"{function.__module__}.{function.__qualname__}".encode())
    digest.update(Path(inspect.getsourcefile(function)).read_bytes())
    for argument in args:
        if isinstance(argument, np.ndarray):
            digest.update(f"array {argument.dtype.str} {argument.shape}".encode())
            digest.update(np.ascontiguousarray(argument).tobytes())
        elif isinstance(argument, Path):
            digest.update(f"file {argument.suffix}".encode())
            digest.update(argument.read_bytes())
        else:
            digest.update(f"value {argument!r}".encode())
    digest.update(json.dumps(_versions(libraries)).encode())
    path = Path(folder) / f"{function.__name__}-{digest.hexdigest()[:24]}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    value = np.asarray(function(*args))
    try:
        _owner_only(path.parent)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.save(handle, value, allow_pickle=False)
    except OSError:
        pass
    return value
