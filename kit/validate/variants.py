"""Grader-validity variants: single-change edits of the reference solution, kept as data.

``autograder/<id>/variants/*.toml`` hold ``[[variant]]`` tables::

    [[variant]]
    id = "formula_without_dilation"
    kind = "bug"                  # "bug": must lose points; "correct": must keep full marks
    rule = "conv_output_size follows the handout's formula"   # the handout rule it breaks (or keeps)
    [[variant.edit]]
    file = "my_cnn_system_"       # the reference file whose name starts with this
    find = "dilation * (kernel - 1)"
    replace = "(kernel - 1)"
    count = 1                     # optional: how often ``find`` must occur (default 1)

An edit whose ``find`` text does not occur exactly ``count`` times in the current reference
fails loudly, naming the variant: a variant that silently stopped applying would report a
grader as validated when it was not.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.grading.config import REPO, AssignmentConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Edit(_Strict):
    file: str = Field(description="start of the reference file's name, e.g. 'my_cnn_system_'")
    find: str
    replace: str
    count: int = Field(default=1, ge=1, description="how often `find` must occur; all occurrences are replaced")


class Variant(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Literal["bug", "correct"]
    rule: str = Field(description="the handout rule the variant breaks (bug) or keeps in another way (correct)")
    edit: list[Edit] = Field(min_length=1)


class VariantError(Exception):
    """A variant is malformed or no longer applies to the reference."""


def variants_folder(config: AssignmentConfig) -> Path:
    return config.folder / "variants"


def load_variants(config: AssignmentConfig) -> list[Variant]:
    variants: list[Variant] = []
    for path in sorted(variants_folder(config).glob("*.toml")):
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        for index, table in enumerate(data.get("variant", [])):
            try:
                variants.append(Variant.model_validate(table))
            except ValueError as error:
                raise VariantError(f"{path.name}: variant #{index + 1} ({table.get('id', '?')}): {error}") from None
    seen: set[str] = set()
    for variant in variants:
        if variant.id in seen:
            raise VariantError(f"variant id {variant.id!r} is used twice")
        seen.add(variant.id)
    return variants


def reference_folder(config: AssignmentConfig) -> Path:
    return REPO / config.examples_from["reference"]


def apply_variant(variant: Variant, reference: Path, target: Path) -> Path:
    """Write the reference's files with the variant's edits into ``target``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(reference, target, ignore=shutil.ignore_patterns("__pycache__"))
    for edit in variant.edit:
        matches = sorted(p for p in target.glob(f"{edit.file}*.py"))
        if len(matches) != 1:
            raise VariantError(f"variant {variant.id}: no single reference file starts with {edit.file!r} "
                               f"(found {[p.name for p in matches]})")
        path = matches[0]
        text = path.read_text(encoding="utf-8")
        found = text.count(edit.find)
        if found != edit.count:
            raise VariantError(
                f"variant {variant.id} no longer applies: {path.name} contains {found} occurrence(s) of "
                f"{edit.find[:80]!r}, expected {edit.count}. Update the variant to the current reference.")
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return target
