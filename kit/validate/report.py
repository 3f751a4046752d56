"""Measures of grader validity from a graded batch of variants, and the report that shows them."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from kit.grading.goldens import first_line
from kit.files import atomic_write_text
from kit.grading.results import max_total
from kit.validate.variants import Variant

TARGETS = {"caught": 0.95, "fair": 1.0, "median_failed": 1, "max_failed": 2}


@dataclass(frozen=True)
class VariantOutcome:
    id: str
    kind: str
    rule: str
    score: float | None
    max_score: float | None
    failed_tests: list[str]
    first_feedback: str

    @property
    def graded(self) -> bool:
        return self.score is not None

    @property
    def full_marks(self) -> bool:
        return self.graded and self.score >= self.max_score


def outcome(variant: Variant, document: dict | None) -> VariantOutcome:
    if document is None:
        return VariantOutcome(variant.id, variant.kind, variant.rule, None, None, [], "(not graded: grader error)")
    failed = [t for t in document["tests"] if t["score"] < t["max_score"]]
    feedback = f"{failed[0]['number']}: {first_line(failed[0]['output'])}" if failed else ""
    return VariantOutcome(variant.id, variant.kind, variant.rule, document["score"], max_total(document),
                          [t["number"] for t in failed], feedback)


@dataclass(frozen=True)
class Summary:
    bugs: int
    caught: int
    correct: int
    fair: int
    median_failed: float | None
    max_failed: int | None
    errors: int

    @property
    def caught_rate(self) -> float:
        return self.caught / self.bugs if self.bugs else 1.0

    @property
    def fair_rate(self) -> float:
        return self.fair / self.correct if self.correct else 1.0

    def misses(self) -> list[str]:
        missed = []
        if self.caught_rate < TARGETS["caught"]:
            missed.append(f"caught {self.caught_rate:.0%} < {TARGETS['caught']:.0%}")
        if self.fair_rate < TARGETS["fair"]:
            missed.append(f"fair {self.fair_rate:.0%} < {TARGETS['fair']:.0%}")
        if self.median_failed is not None and self.median_failed > TARGETS["median_failed"]:
            missed.append(f"median failed tests per bug {self.median_failed:g} > {TARGETS['median_failed']}")
        if self.max_failed is not None and self.max_failed > TARGETS["max_failed"]:
            missed.append(f"max failed tests per bug {self.max_failed} > {TARGETS['max_failed']}")
        if self.errors:
            missed.append(f"{self.errors} variant(s) not graded (grader error)")
        return missed


def summarise(outcomes: list[VariantOutcome]) -> Summary:
    bugs = [o for o in outcomes if o.kind == "bug"]
    correct = [o for o in outcomes if o.kind == "correct"]
    caught = [o for o in bugs if o.graded and not o.full_marks]
    counts = [len(o.failed_tests) for o in caught]
    return Summary(
        bugs=len(bugs), caught=len(caught), correct=len(correct), fair=sum(o.full_marks for o in correct),
        median_failed=statistics.median(counts) if counts else None, max_failed=max(counts) if counts else None,
        errors=sum(not o.graded for o in outcomes),
    )


def summary_line(assignment: str, summary: Summary) -> str:
    failed = (f"median {summary.median_failed:g}, max {summary.max_failed}" if summary.median_failed is not None
              else "no bug caught")
    return (f"{assignment}: caught {summary.caught}/{summary.bugs} bugs ({summary.caught_rate:.0%}), "
            f"fair {summary.fair}/{summary.correct} correct variants ({summary.fair_rate:.0%}), "
            f"failed tests per caught bug: {failed}")


def write_reports(folder: Path, assignment: str, outcomes: list[VariantOutcome], summary: Summary) -> None:
    document = {"assignment": assignment, "targets": TARGETS, "summary": asdict(summary),
                "misses": summary.misses(), "variants": [asdict(o) for o in outcomes]}
    atomic_write_text(folder / "validate.json", json.dumps(document, indent=1) + "\n")
    lines = [f"# Grader validity: {assignment}", "", summary_line(assignment, summary), ""]
    lines += [f"Targets: caught >= {TARGETS['caught']:.0%}, fair = {TARGETS['fair']:.0%}, failed tests per bug "
              f"median <= {TARGETS['median_failed']}, max <= {TARGETS['max_failed']}. "
              + ("All met." if not summary.misses() else "Missed: " + "; ".join(summary.misses()) + "."), ""]
    for kind, title in (("bug", "Bug variants (must lose points)"), ("correct", "Correct variants (must keep full marks)")):
        lines += [f"## {title}", "", "| variant | rule | score | failed tests | first feedback line |", "|---|---|---|---|---|"]
        for o in outcomes:
            if o.kind != kind:
                continue
            verdict = ("**MISSED** " if kind == "bug" and o.full_marks else "") + \
                      ("**UNFAIR** " if kind == "correct" and o.graded and not o.full_marks else "")
            score = f"{o.score:g}/{o.max_score:g}" if o.graded else "error"
            feedback = o.first_feedback.replace("|", "\\|")[:220]
            lines.append(f"| {verdict}{o.id} | {o.rule} | {score} | {', '.join(o.failed_tests)} | {feedback} |")
        lines.append("")
    atomic_write_text(folder / "report.md", "\n".join(lines))
