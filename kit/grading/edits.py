"""Text edits of a submission's files, kept as data: what grader-validity variants and
examples written as "the reference with one slip" are made of.

An edit whose ``find`` text does not occur exactly ``count`` times fails loudly, naming what
it belongs to: an edit that silently stopped applying would leave a variant or an example
that no longer has its slip.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class EditError(Exception):
    """An edit does not apply to the files it was written for."""


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="start of the file's name, e.g. 'my_cnn_system_'")
    find: str
    replace: str
    count: int = Field(default=1, ge=1, description="how often `find` must occur; all occurrences are replaced")


def apply_edits(edits: list[Edit], folder: Path, owner: str) -> None:
    """Apply ``edits`` in place to the ``.py`` files of ``folder``; ``owner`` names them in errors."""
    for edit in edits:
        matches = sorted(folder.glob(f"{edit.file}*.py"))
        if len(matches) != 1:
            raise EditError(f"{owner}: no single file starts with {edit.file!r} (found {[p.name for p in matches]})")
        path = matches[0]
        text = path.read_text(encoding="utf-8")
        found = text.count(edit.find)
        if found != edit.count:
            raise EditError(
                f"{owner} no longer applies: {path.name} contains {found} occurrence(s) of "
                f"{edit.find[:80]!r}, expected {edit.count}. Update it to the current reference.")
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")


def as_student(text: str, name: str) -> str:
    """A solution file's text as student ``name`` submits it: ``<x>_student`` becomes ``<x>_<name>``
    (file names in imports and docstrings), as the handouts ask students to rename them."""
    return re.sub(r"\b(\w+)_student\b", rf"\1_{name}", text)
