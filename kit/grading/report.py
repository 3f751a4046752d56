"""The TA's report of a batch: scores, per-test pass rates, and what needs a human look."""

from __future__ import annotations

from pathlib import Path

from kit.grading.config import AssignmentConfig
from kit.files import atomic_write_text
from kit.grading.results import max_total


def write_report(path: Path, config: AssignmentConfig, documents: dict[str, dict], outcomes) -> None:
    lines = [f"# {config.title} ({config.id}): grading report", ""]
    errors = [o.submission for o in outcomes if o.status == "grader-error"]
    if documents:
        scores = sorted(d["score"] for d in documents.values())
        top = max(max_total(d) for d in documents.values())
        mean = sum(scores) / len(scores)
        lines += [f"{len(documents)} submissions graded; mean {mean:.2f} / {top:g}, "
                  f"median {scores[len(scores) // 2]:g}, min {scores[0]:g}, max {scores[-1]:g}.", ""]
        lines += ["| test | points | passed |", "|---|---|---|"]
        names: dict[str, list[float]] = {}
        points: dict[str, float] = {}
        for document in documents.values():
            for test in document["tests"]:
                key = f"{test['number']} {test['name']}"
                names.setdefault(key, []).append(test["score"] >= test["max_score"])
                points[key] = test["max_score"]
        for key, passed in names.items():
            lines.append(f"| {key} | {points[key]:g} | {sum(passed)}/{len(passed)} |")
        lines.append("")
        lines += ["| submission | score | intake problems |", "|---|---|---|"]
        for submission, document in sorted(documents.items()):
            problems = "; ".join(
                line[len("Problem: "):] for line in document.get("output", "").splitlines() if line.startswith("Problem: ")
            )
            lines.append(f"| {submission} | {document['score']:g} / {max_total(document):g} | {problems} |")
        lines.append("")
    if errors:
        lines += ["## Grader errors (not graded; see grader-error.log in their folders, then rerun)", ""]
        lines += [f"- {name}" for name in errors] + [""]
    atomic_write_text(path, "\n".join(lines))
