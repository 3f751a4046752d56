"""Typed, documented per-assignment grading configuration (``autograder/<id>/config.toml``).

Points, names and visibility live beside each test (pytest markers); everything a
course may want to tune without touching a test lives here: which files a submission
must contain, thresholds, training budgets and sandbox limits.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kit.sandbox.runner import Limits
from kit.paths import AUTOGRADER, REPO



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudentFile(_Strict):
    """One file a submission must contain, e.g. ``my_cnn_system_<name>.py``."""

    prefix: str = Field(description="file name start; any <name> suffix is accepted")
    marker: str = Field(description="text the file must contain, used to recognise a misnamed file")


class AssignmentConfig(_Strict):
    id: str
    title: str
    student_files: dict[str, StudentFile]
    helpers: list[str] = Field(default_factory=list, description="repo paths copied next to student code")
    examples_from: dict[str, str] = Field(
        default_factory=dict, description="example id -> repo folder its files are taken from"
    )
    limits: dict[str, Limits] = Field(
        description="sandbox limits per probe ('<probe>' or '<probe>.<dataset>'); 'default' for the rest"
    )
    settings: dict[str, dict] = Field(default_factory=dict, description="grader-specific settings")
    submission_timeout: float | dict[str, float] = Field(
        default=900.0, description="wall seconds for one whole submission, or per dataset {dataset = seconds}")
    needs_features: bool = Field(default=True, description="graders read the dataset's cached features")
    datasets: list[str] = Field(default=["embedded", "gtzan"], description="datasets it can be graded on")
    numba_cache: bool = Field(
        default=False, description="copy a pre-compiled numba cache for librosa into every sandbox (kit/sandbox/numba_cache.py)"
    )

    def limits_for(self, probe: str, dataset: str | None = None) -> Limits:
        """Limits of a probe: ``limits."<probe>.<dataset>"``, else ``limits.<probe>``, else default."""
        for key in (f"{probe}.{dataset}", probe, "default"):
            if key in self.limits:
                return self.limits[key]
        raise KeyError("config.toml has no [limits.default]")

    def timeout_for(self, dataset: str) -> float:
        if isinstance(self.submission_timeout, dict):
            return self.submission_timeout.get(dataset, max(self.submission_timeout.values()))
        return self.submission_timeout

    @property
    def folder(self) -> Path:
        return AUTOGRADER / self.id

    def helper_paths(self) -> list[Path]:
        return [REPO / helper for helper in self.helpers]


def assignments() -> list[str]:
    return sorted(p.parent.name for p in AUTOGRADER.glob("*/config.toml"))


@lru_cache(maxsize=None)
def load_config(assignment: str) -> AssignmentConfig:
    path = AUTOGRADER / assignment / "config.toml"
    if not path.is_file():
        known = ", ".join(assignments()) or "none"
        raise SystemExit(f"unknown assignment {assignment!r} (no {path}); known: {known}")
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return AssignmentConfig.model_validate(data)
