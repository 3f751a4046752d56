"""Writing files so that a reader never sees half of one: write a temporary sibling, then rename;
and reading back the small JSON records written that way.

The one implementation for the kit (results, grade sheets, feature files, zips, caches). The
probe runtime keeps its own copy because it runs in the sandbox, where ``kit`` is not mounted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` if the block succeeds.

    The temporary name carries the process id, so parallel writers of the same file do not
    clobber each other's halves (the last rename wins, whole).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_json_object(path: str | Path) -> dict | None:
    """The JSON object in ``path``, or None when it is missing, unreadable or not an object
    (a marker a crashed run never wrote, or one from another version)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None

