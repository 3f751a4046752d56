"""The example submissions of ``autograder/examples/<id>/``, as ``make grade`` and the tests grade them.

An example folder holds a ``README.md`` (what is wrong with it), its goldens
(``expected.json``, ``kit/grading/goldens.py``) and either the student's files themselves or
an ``example.toml`` that builds them from another example source (``examples_from`` in
config.toml) instead of copying it::

    student = "mikko"          # the name the files are renamed to (dataset_class_mikko.py ...)
    base = "reference"         # files this folder does not hold come from this source
    [[edit]]                   # the example's slip, as in grader-validity variants
    file = "dataset_class_"
    find = 'dtype=torch.int64'
    replace = 'dtype=torch.float32'

The folder's own ``.py`` files replace the base's file of the same role (``student_files``
prefixes), so a hand-written training file can sit on top of the reference's dataset and
model. Built folders land in ``build/examples/<id>/<example>-<hash of their inputs>/``, written
once and renamed into place, so that concurrent runs never see a half-built example.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kit.grading.config import REPO, AssignmentConfig
from kit.grading.edits import Edit, apply_edits, as_student
from kit.solution_markers import without_markers

BUILT = REPO / "build" / "examples"
SPEC = "example.toml"


class ExampleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    student: str = Field(pattern=r"^[a-z]+$", description="the student name the files are renamed to")
    base: str = Field(default="reference", description="an examples_from source the missing files come from")
    edit: list[Edit] = Field(default_factory=list, description="the example's slip(s)")


def example_sources(config: AssignmentConfig) -> list[tuple[str, Path]]:
    """(name, folder of the submission's files) of every example of the assignment."""
    examples = []
    for folder in sorted(p for p in config.examples_folder.iterdir() if p.is_dir()):
        if folder.name in config.examples_from:
            examples.append((folder.name, REPO / config.examples_from[folder.name]))
        elif (folder / SPEC).is_file():
            examples.append((folder.name, build_example(config, folder)))
        else:
            examples.append((folder.name, folder))
    return examples


def build_example(config: AssignmentConfig, folder: Path) -> Path:
    with open(folder / SPEC, "rb") as handle:
        spec = ExampleSpec.model_validate(tomllib.load(handle))
    if spec.base not in config.examples_from:
        raise ValueError(f"{folder / SPEC}: base {spec.base!r} is not one of examples_from {sorted(config.examples_from)}")
    base = REPO / config.examples_from[spec.base]
    own = {p.name: p.read_bytes() for p in sorted(folder.glob("*.py"))}
    prefixes = [student_file.prefix for student_file in config.student_files.values()]
    own_roles = {prefix for prefix in prefixes for name in own if name.startswith(prefix)}
    files = {}
    for path in sorted(base.glob("*.py")):
        if not any(path.name.startswith(prefix) for prefix in own_roles):
            text = without_markers(path.read_text(encoding="utf-8"))
            files[as_student(path.name, spec.student)] = as_student(text, spec.student).encode()
    files.update(own)
    digest = hashlib.sha256(repr((spec.model_dump(), sorted(files.items()))).encode()).hexdigest()[:12]
    target = BUILT / config.id / f"{folder.name}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=target.parent))
    for name, data in files.items():
        (staging / name).write_bytes(data)
    try:
        apply_edits(spec.edit, staging, f"example {config.id}/{folder.name}")
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.rename(staging, target)
    except OSError:  # built meanwhile by a concurrent run: theirs is the same
        shutil.rmtree(staging, ignore_errors=True)
    return target
