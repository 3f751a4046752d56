"""Helpers for tests that grade made-up submissions. Not a test module.

The fault and Slurm tests need copies of an assignment's reference with some code put before it
(a sleep, a memory hog, a fork bomb): one function writes them, for both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kit.grading.config import load_config
from kit.grading.examples import example_sources


def reference_with_prelude(folder: Path, prelude: str, assignment: str) -> Path:
    """``folder`` holding the assignment's reference files, each with ``prelude`` put at its top."""
    reference = dict(example_sources(load_config(assignment)))["reference"]
    shutil.copytree(reference, folder, ignore=shutil.ignore_patterns("*.md", "*.json", "*.toml"))
    for path in folder.glob("*.py"):
        path.write_text(prelude + "\n" + path.read_text())
    return folder
