"""What the release zips may contain: the kit-wide rules here, each assignment's own in its config.

Per assignment (the ``[release]`` table of ``autograder/<id>/config.toml``, schema
``kit.grading.config.Release``): the student files, their allow-list, the pinned
requirements, the student data and the repository data the graders read. Adding an
assignment touches only its own folders. Kit-wide: names and texts that never ship, and the
autograder zip's payload folders. ``tests/test_release.py`` checks built zips against both.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from kit.grading.config import Release, read_config
from kit.paths import REPO

# Never shipped to students, whatever the patterns say (checked by name and content).
FORBIDDEN_PATTERNS = ("*solution*", "*expected.json", "autograder/*", "*.pyc", "*__pycache__*")
FORBIDDEN_TEXT = ("BEGIN SOLUTION", "END SOLUTION")
# Folders and files in assignments/<id>/ that are build by-products, not content.
IGNORED_PATTERNS = ("__pycache__/*", "*/__pycache__/*", "*.pyc", ".pytest_cache/*", ".ipynb_checkpoints/*", "*/.ipynb_checkpoints/*", ".DS_Store")


def student_contents(assignment: str, repo: Path = REPO) -> Release:
    """The assignment's ``[release]`` table of ``autograder/<id>/config.toml`` in ``repo``."""
    path = repo / "autograder" / assignment / "config.toml"
    if not path.is_file():
        raise KeyError(f"no release table for {assignment!r}: {path} does not exist")
    return read_config(path).release


def data_source(assignment: str, dataset: str, repo: Path = REPO) -> str:
    """The data layer's name of the assignment's DATASET (config.toml ``[data]``: ex03's embedded is italic_mini)."""
    return read_config(repo / "autograder" / assignment / "config.toml").data_source(dataset)


def is_ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED_PATTERNS)


def is_forbidden(name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in FORBIDDEN_PATTERNS)


# The autograder zip: top-level folders of the kit payload, besides otter's own files.
# {assignment} and {dataset} are filled in. Everything else in the zip is otter's.
AUTOGRADER_PAYLOAD = (
    "kit/",  # the kit package (engine, sandbox, plugin)
    "autograder/{assignment}/",  # hidden graders and config.toml
    "autograder/pytest.ini",  # how the graders are run (files directly in autograder/)
    "autograder/conftest.py",
    "assignments/{assignment}/",  # helper modules the graders hand to the sandbox (config.toml helpers)
    "data_manifests/",  # the dataset's full manifest (holdout split included)
    "features/",  # the feature cache: held-out features with labels (if the graders use them)
    "data_manifests/embedded/",  # audio some graders read ([release] grader_data in config.toml)
)
# Never inside the autograder zip either.
# Grader-validity variants quote the reference solution and only `make validate` reads them.
AUTOGRADER_FORBIDDEN = ("solutions/*", "autograder/examples/*", "autograder/*/variants/*", "*.pyc", "*__pycache__*",
                        ".venv/*", "tests/test_*")


def autograder_forbidden(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in AUTOGRADER_FORBIDDEN)
