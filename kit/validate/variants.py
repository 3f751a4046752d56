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
fails loudly, naming the variant (``kit/grading/edits.py``): a variant that silently stopped
applying would report a grader as validated when it was not.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.grading.config import AssignmentConfig
from kit.grading.edits import Edit, EditError, apply_edits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Literal["bug", "correct"]
    rule: str = Field(description="the handout rule the variant breaks (bug) or keeps in another way (correct)")
    edit: list[Edit] = Field(min_length=1)


class VariantError(EditError):
    """A variant is malformed or no longer applies to the reference."""


def variants_folder(config: AssignmentConfig) -> Path:
    return config.variants_folder


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
    return config.reference_folder


def apply_variant(variant: Variant, reference: Path, target: Path) -> Path:
    """Write the reference's files with the variant's edits into ``target``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(reference, target, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        apply_edits(variant.edit, target, f"variant {variant.id}")
    except EditError as error:
        raise VariantError(str(error)) from None
    return target
