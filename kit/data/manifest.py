"""Dataset manifests: the schema, loading with readable errors, and saving.

A manifest is a JSON file in ``data_manifests/`` that describes one dataset: where it
comes from, its licence, its audio format, and every clip with its label and split.
The schema is the pydantic model below; ``data_manifests/README.md`` documents it for
people. Loading validates everything and names the offending field, e.g.
``clips[12].split: Input should be 'train', 'val', 'test' or 'holdout'``.

Splits: students get ``train``, ``val`` and ``test`` with their labels (as in the course);
``holdout`` is the kit's own: the held-out accuracy grader uses it alone, and no holdout
audio, feature or label reaches a student artefact (``PUBLIC_SPLITS``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMA_VERSION = 1
Split = Literal["train", "val", "test", "holdout"]
SPLITS: tuple[Split, ...] = ("train", "val", "test", "holdout")
# What students receive, labels included; the rest stays on the grading side.
PUBLIC_SPLITS: tuple[Split, ...] = ("train", "val", "test")
HOLDOUT: Split = "holdout"
# Folder names used by the course for split folders (GTZAN subsets, feature folders); the
# holdout split has a folder of its own name on the grading side only.
SPLIT_FOLDERS: dict[str, str] = {"train": "training", "val": "validation", "test": "testing", "holdout": "holdout"}



class ManifestError(ValueError):
    """A manifest file is missing, not JSON, or does not follow the schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AudioFormat(_Strict):
    """What every clip's audio file must look like."""

    container: Literal["WAV", "FLAC"]
    sample_rate: int = Field(gt=0, description="Hz")
    channels: int = Field(ge=1)
    bit_depth: int | None = Field(default=16, description="bits per sample, None if not fixed")
    nominal_duration: float = Field(gt=0, description="seconds every clip should last")
    duration_tolerance: float = Field(
        default=0.05, ge=0, description="seconds a clip may differ from nominal_duration"
    )


class Archive(_Strict):
    """The distributed archive, when the TA still has it (only it has a published hash)."""

    name: str
    size: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DatasetInfo(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    source: str = Field(min_length=1, description="where the audio comes from")
    licence: str = Field(min_length=1)
    sample_rate: int = Field(gt=0)
    labels: list[str] = Field(min_length=2, description="class names; a clip's class id is its index")
    audio: AudioFormat
    archive: Archive | None = None

    @model_validator(mode="after")
    def _rates_agree(self) -> "DatasetInfo":
        if self.audio.sample_rate != self.sample_rate:
            raise ValueError(
                f"sample_rate {self.sample_rate} differs from audio.sample_rate {self.audio.sample_rate}"
            )
        return self


class Clip(_Strict):
    path: str = Field(min_length=1, description="POSIX path relative to the dataset folder")
    label: str
    split: Split
    duration: float = Field(gt=0, description="seconds")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or "\\" in value or ".." in value.split("/"):
            raise ValueError("must be a relative POSIX path without '..'")
        return value

    @property
    def stem(self) -> str:
        """The clip's name without folder and extension; unique within a manifest."""
        return Path(self.path).stem


class Manifest(_Strict):
    schema_version: Literal[1]
    dataset: DatasetInfo
    clips: list[Clip] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Manifest":
        seen: set[str] = set()
        for i, clip in enumerate(self.clips):
            if clip.label not in self.dataset.labels:
                raise ValueError(f"clips[{i}].label: {clip.label!r} is not one of {self.dataset.labels}")
            if clip.stem in seen:
                raise ValueError(f"clips[{i}].path: clip name {clip.stem!r} appears twice")
            seen.add(clip.stem)
        return self

    # --- convenience -------------------------------------------------------------
    def class_id(self, clip: Clip) -> int:
        return self.dataset.labels.index(clip.label)

    def public(self) -> "Manifest":
        """What students may see: every split but the holdout."""
        return self.without_splits(HOLDOUT)

    def split(self, split: Split) -> list[Clip]:
        return [clip for clip in self.clips if clip.split == split]

    def without_splits(self, *dropped: Split) -> "Manifest":
        """A copy without some splits (the student release drops ``holdout``)."""
        return self.model_copy(update={"clips": [c for c in self.clips if c.split not in dropped]})


def manifest_digest(manifest: Manifest) -> str:
    """A hash of the manifest's content (not of its file's formatting): cache keys use it."""
    canonical = json.dumps(manifest.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ""
        for part in item["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        lines.append(f"  {where or '(top level)'}: {item['msg']}")
    return "\n".join(lines)


def parse_manifest(data: object, source: str = "<manifest>") -> Manifest:
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        raise ManifestError(f"{source} does not follow the manifest schema:\n{_describe(error)}") from None


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} does not exist") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path} is not valid JSON: {error}") from None
    return parse_manifest(data, str(path))


def manifest_json(manifest: Manifest) -> str:
    """A manifest's file content, with stable formatting (keeps diffs and release zips stable)."""
    return json.dumps(manifest.model_dump(mode="json", exclude_none=True), indent=1) + "\n"


def save_manifest(manifest: Manifest, path: str | Path) -> None:
    Path(path).write_text(manifest_json(manifest), encoding="utf-8")


def sha256_of_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
