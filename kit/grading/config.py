"""Typed, documented per-assignment grading configuration (``autograder/<id>/config.toml``).

Points, names and visibility live beside each test (pytest markers); everything a
course may want to tune without touching a test lives here: which files a submission
must contain, thresholds, training budgets and sandbox limits.
"""

from __future__ import annotations

import fnmatch
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.data.features import FeatureParams
from kit.sandbox.runner import Limits
from kit.paths import AUTOGRADER, REPO



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudentFile(_Strict):
    """One file a submission must contain, e.g. ``my_cnn_system_<name>.py``."""

    prefix: str = Field(description="file name start; any <name> suffix is accepted")
    marker: str = Field(description="text the file must contain, used to recognise a misnamed file")


class Release(_Strict):
    """What the release ships for this assignment (``kit/release/``), checked when it is built.

    Patterns are ``fnmatch`` patterns on POSIX paths relative to ``assignments/<id>/`` (``*``
    also crosses ``/``): every file there must match one of ``allowed`` (a new file needs a
    decision, it is not shipped by accident) and every ``required`` file must exist.
    """

    required: list[str] = Field(description="files of assignments/<id>/ the student zip must hold")
    allowed: list[str] = Field(description="patterns of the files of assignments/<id>/ that may ship")
    requirements: list[str] = Field(
        description="packages pinned from requirements.lock into requirements.txt when the handout has none")
    generated: list[str] = Field(default=["requirements.txt"], description="files the release writes itself")
    student_data: list[Literal["audio", "features"]] = Field(
        default_factory=list,
        description="what music_speech_subset.zip carries: the public splits' audio, and the official features "
                    "(never for an assignment whose students compute them)")
    data_name: str = Field(
        default="music_speech_subset",
        description="the students' data folder and zip name (<data_name>.zip holding <data_name>/)")
    grader_data: list[str] = Field(
        default_factory=list,
        description="repository paths the hidden graders read besides the features (folders end in '/')")
    gradescope_memory_mb: int = Field(
        default=3072, gt=0,
        description="the autograder memory to choose on Gradescope: `make bench` checks that grading the "
                    "reference through the otter zip peaks below 60 % of it")

    def is_allowed(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.allowed)

    def is_generated(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.generated)


class Part(_Strict):
    """One of the course's parts (e.g. "3.1"): the test groups it holds and its weight."""

    title: str
    groups: list[str] = Field(min_length=1, description="test number groups: '0' holds 0.1, 0.2, ...")
    weight: float = Field(default=1.0, gt=0, description="share of the grade: weight / sum of all weights")


class Validation(_Strict):
    """What `make validate` holds the graders to (kit/validate/), and the variants `make test` grades."""

    min_bugs: int = Field(default=40, ge=0, description="bug variants the assignment must have")
    min_correct: int = Field(default=15, ge=0, description="correct variants the assignment must have")
    test_subset: list[str] = Field(
        default_factory=list, description="variants graded by `make test` (the whole set runs with `make validate`)")


class AssignmentConfig(_Strict):
    id: str
    title: str
    student_files: dict[str, StudentFile]
    release: Release
    helpers: list[str] = Field(default_factory=list, description="repo paths copied next to student code")
    examples_from: dict[str, str] = Field(
        default_factory=dict, description="example id -> repo folder its files are taken from"
    )
    parts: dict[str, Part] = Field(
        default_factory=dict, description="the course's parts and their weights; none: every test keeps its points"
    )
    limits: dict[str, Limits] = Field(
        description="sandbox limits per probe ('<probe>' or '<probe>.<dataset>'); 'default' for the rest"
    )
    settings: dict[str, dict] = Field(default_factory=dict, description="grader-specific settings")
    validation: Validation = Field(default_factory=Validation)
    submission_timeout: float | dict[str, float] = Field(
        default=900.0, description="wall seconds for one whole submission, or per dataset {dataset = seconds}")
    needs_features: bool = Field(default=True, description="graders read the dataset's cached features")
    datasets: list[str] = Field(default=["embedded", "gtzan"], description="datasets it can be graded on")
    data: dict[str, str] = Field(
        default_factory=dict,
        description="DATASET name -> the data layer's dataset (kit/data/cache.py DATASETS, a data_manifests/ "
                    "manifest), e.g. embedded = 'italic_mini'; a name not here is the data layer's own")
    features: dict[str, FeatureParams] = Field(
        default_factory=dict,
        description="named inputs the graders read (one view folder each, e.g. log_mel/ and waveform/); "
                    "none: the course's log-mel at the manifest's nominal duration, in the view folder itself")
    max_grade: float = Field(
        default=100.0, gt=0,
        description="the LMS grade of full points (Moodle's 'Maximum grade', Canvas's 'Points Possible')")
    visibility: dict[str, Literal["hidden", "after_due_date", "after_published", "visible"]] = Field(
        default_factory=dict,
        description="Gradescope visibility per test number ('4.4') or group ('4'); others keep their marker's")
    numba_cache: bool = Field(
        default=False, description="copy a pre-compiled numba cache for librosa into every sandbox (kit/sandbox/numba_cache.py)"
    )

    preload: list[str] = Field(
        default=["numpy", "torch"],
        description="modules the submission's probe server imports once before forking each probe "
                    "(kit/sandbox/worker.py); empty: every probe starts its own Python")

    def data_source(self, dataset: str) -> str:
        """The data layer's name of this assignment's DATASET (``embedded`` is ex03's ``italic_mini``)."""
        return self.data.get(dataset, dataset)

    def class_names(self, dataset: str) -> list[str]:
        """The class names of this assignment's DATASET in class-id order (ex03's ``embedded``: its 10 intents)."""
        from kit.data.cache import class_names  # the data layer loads its importers on import

        return class_names(self.data_source(dataset))

    def worker_ceiling(self) -> Limits:
        """The largest limits of any probe: the probe server's own (a forked probe lowers them to its own)."""
        limits = list(self.limits.values())
        return Limits(memory_mb=max(limit.memory_mb for limit in limits),
                      file_mb=max(limit.file_mb for limit in limits),
                      shm_mb=max(limit.shm_mb for limit in limits),
                      threads=self.limits_for("default").threads)

    def limits_for(self, probe: str, dataset: str | None = None) -> Limits:
        """Limits of a probe: ``limits."<probe>.<dataset>"``, else ``limits.<probe>``, else default."""
        for key in (f"{probe}.{dataset}", probe, "default"):
            if key in self.limits:
                return self.limits[key]
        raise KeyError("config.toml has no [limits.default]")

    def visibility_for(self, number: str, default: str = "visible") -> str:
        """A test's Gradescope visibility: by its number, else its group, else ``default``."""
        return self.visibility.get(number, self.visibility.get(number.split(".")[0], default))

    def settings_for(self, dataset: str) -> dict[str, dict]:
        """``[settings]`` as they hold on ``dataset``: a value given per dataset (``threshold = { embedded = 0.80,
        gtzan = 0.85 }``, a table whose keys are all DATASET names) becomes that dataset's own. ValueError naming
        the setting when such a table has no entry for ``dataset`` (a threshold before `make calibrate`)."""
        if dataset not in self.datasets:
            raise ValueError(f"{self.id} is not graded on DATASET={dataset} (known: {', '.join(self.datasets)})")
        resolved: dict[str, dict] = {}
        for section, values in self.settings.items():
            resolved[section] = {}
            for key, value in values.items():
                if isinstance(value, dict) and value and set(value) <= set(self.datasets):
                    if dataset not in value:
                        raise ValueError(f"autograder/{self.id}/config.toml: [settings.{section}] {key} has no value "
                                         f"for DATASET={dataset} (it has: {', '.join(value)})")
                    value = value[dataset]
                resolved[section][key] = value
        return resolved

    def timeout_for(self, dataset: str) -> float:
        if isinstance(self.submission_timeout, dict):
            return self.submission_timeout.get(dataset, max(self.submission_timeout.values()))
        return self.submission_timeout

    # Every path of an assignment, answered here (a new assignment is these folders and a config.toml).
    @property
    def folder(self) -> Path:
        """The hidden graders, their probes, variants and config: ``autograder/<id>/``."""
        return AUTOGRADER / self.id

    @property
    def handout_folder(self) -> Path:
        """What students get (skeletons, handout, self-check): ``assignments/<id>/``."""
        return REPO / "assignments" / self.id

    @property
    def examples_folder(self) -> Path:
        """The example submissions with their goldens: ``autograder/examples/<id>/``."""
        return AUTOGRADER / "examples" / self.id

    @property
    def variants_folder(self) -> Path:
        """The grader-validity variants: ``autograder/<id>/variants/``."""
        return self.folder / "variants"

    @property
    def reference_folder(self) -> Path:
        """The reference solution (``examples_from["reference"]``, e.g. ``solutions/<id>/``)."""
        return REPO / self.examples_from["reference"]

    def golden(self, example: str) -> dict:
        """An example's golden results (``expected.json``: total, tests, feedback)."""
        import json

        return json.loads((self.examples_folder / example / "expected.json").read_text())

    def helper_paths(self) -> list[Path]:
        return [REPO / helper for helper in self.helpers]


def assignments() -> list[str]:
    return sorted(p.parent.name for p in AUTOGRADER.glob("*/config.toml"))


def add_assignment_argument(parser) -> None:
    """``--assignment``, required: the engine has no assignment of its own (`make` passes ASSIGNMENT)."""
    parser.add_argument("--assignment", required=True, metavar="ID",
                        help="the assignment: " + ", ".join(assignments()) + " (autograder/<id>/config.toml)")


def dataset_name(name: str) -> str:
    """``--dataset``'s type in every CLI: an importer's name alone (DATASET=italic) is its first configuration."""
    from kit.data.cache import resolve_dataset  # the data layer loads its importers: only when a CLI runs

    return resolve_dataset(name)


@lru_cache(maxsize=None)
def load_config(assignment: str) -> AssignmentConfig:
    path = AUTOGRADER / assignment / "config.toml"
    if not path.is_file():
        known = ", ".join(assignments()) or "none"
        raise SystemExit(f"unknown assignment {assignment!r} (no {path}); known: {known}")
    return read_config(path)


def read_config(path: Path) -> AssignmentConfig:
    """One config.toml, validated (the release reads a repository other than this one this way)."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return AssignmentConfig.model_validate(data)
