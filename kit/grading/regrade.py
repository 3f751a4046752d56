"""What a regrade changed: each regraded submission's results against the ones it replaced.

``FORCE=1`` keeps the results it is about to replace in ``<submission>/history/`` (one file
per regrade, named by time); the newest of them is what the current results are compared with.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kit.grading.results import label_of


@dataclass(frozen=True)
class Change:
    submission: str
    before: float
    after: float
    tests: list[tuple[str, float, float]]  # (number and name, before, after), tests whose score changed

    def describe(self) -> str:
        tests = "; ".join(f"{name}: {old:g} -> {new:g}" for name, old, new in self.tests)
        return f"{self.submission}: {self.before:g} -> {self.after:g}" + (f" ({tests})" if tests else "")


def keep_previous(folder: Path) -> None:
    """Before a regrade: copy ``results.json`` into ``history/`` (it stays in place until replaced)."""
    results = folder / "results.json"
    if results.is_file():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        (folder / "history").mkdir(exist_ok=True)
        shutil.copyfile(results, folder / "history" / f"results-{stamp}.json")


def _previous(folder: Path) -> dict | None:
    kept = sorted((folder / "history").glob("results-*.json"))
    try:
        return json.loads(kept[-1].read_text()) if kept else None
    except (OSError, json.JSONDecodeError):
        return None


def changes(out: Path, documents: dict[str, dict]) -> list[Change]:
    """Every submission whose score or any test's score differs from its previous results."""
    found = []
    for submission, document in sorted(documents.items()):
        previous = _previous(out / submission)
        if previous is None:
            continue
        old = {label_of(t): t["score"] for t in previous.get("tests", [])}
        new = {label_of(t): t["score"] for t in document["tests"]}
        names = list(new) + [name for name in old if name not in new]
        tests = [(name, old.get(name, 0.0), new.get(name, 0.0)) for name in names if old.get(name) != new.get(name)]
        if tests or previous.get("score") != document["score"]:
            found.append(Change(submission, previous.get("score", 0.0), document["score"], tests))
    return found
