"""Gradescope-schema results, readable feedback, and the batch's grades.csv.

``results.json`` is the one record of a graded submission: feedback and the CSV are
derived from the files on disk, so an interrupted batch loses nothing already written.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from kit.files import atomic_path, atomic_write_text

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


@dataclass(frozen=True)
class TestResult:
    name: str
    number: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"
    # Optional Gradescope fields: seconds spent in the test (with the probes it started),
    # tags such as "timeout", and data for the kit's pictures (training curves, confusion counts).
    execution_time: float = 0.0
    tags: list[str] = field(default_factory=list)
    extra_data: dict[str, Any] = field(default_factory=dict)


def weigh(tests: list[TestResult], parts: dict) -> list[TestResult]:
    """Scale each part's tests so that the part holds ``weight / sum of weights`` of the total.

    ``parts`` is ``AssignmentConfig.parts``: {name: Part(groups, weight)}; a test belongs to
    the part listing its number's group ("0" for "0.4"). The total stays the sum of the raw
    points, and within a part the tests keep their relative points; with weights that match
    the parts' raw points (the default configs), nothing changes. A test that no part lists
    is a configuration error (an unweighted test would shift every part's share).
    """
    if not parts:
        return tests
    part_of = {group: name for name, part in parts.items() for group in part.groups}
    orphans = [t.number for t in tests if t.number.split(".")[0] not in part_of]
    if orphans:
        raise ValueError(f"config.toml's [parts] list no group for test(s) {', '.join(orphans)}")
    raw = {name: sum(t.max_score for t in tests if part_of[t.number.split(".")[0]] == name) for name in parts}
    total = sum(raw.values())
    weights = sum(part.weight for name, part in parts.items() if raw[name])
    scaled = []
    for test in tests:
        name = part_of[test.number.split(".")[0]]
        factor = total * parts[name].weight / weights / raw[name]
        if abs(factor - 1.0) < 1e-9:
            scaled.append(test)
        else:
            scaled.append(replace(test, score=round(test.score * factor, 2), max_score=round(test.max_score * factor, 2)))
    return scaled


def results_document(tests: list[TestResult], *, execution_time: float, output: str = "") -> dict:
    tests = sorted(tests, key=lambda t: [int(x) if x.isdigit() else x for x in t.number.split(".")])
    for test in tests:
        assert test.visibility in VISIBILITIES, test.visibility
    return {
        "score": round(sum(t.score for t in tests), 4),
        "execution_time": round(execution_time, 2),
        "output": output,
        "visibility": "visible",
        "tests": [_test_entry(t) for t in tests],
    }


def _test_entry(test: TestResult) -> dict:
    """A test's Gradescope entry; the optional fields only when they say something."""
    entry = asdict(test)
    for key in ("tags", "extra_data"):
        if not entry[key]:
            del entry[key]
    return entry


def write_results(path: Path, tests: list[TestResult], *, execution_time: float, output: str = "") -> dict:
    document = results_document(tests, execution_time=execution_time, output=output)
    atomic_write_text(path, json.dumps(document, indent=2) + "\n")
    return document


def label_of(test: dict) -> str:
    """A test as the grade sheet and the reports name it: "2.4 <its name>"."""
    return f"{test['number']} {test['name']}".strip()


def max_total(document: dict) -> float:
    return round(sum(t["max_score"] for t in document["tests"]), 4)


# What the probe runtime says when a whole file cannot be used (kit/sandbox/probe_runtime.py):
# a syntax error, a failed import, a missing or doubled file.
_FILE_PROBLEM = re.compile(r"(\S+\.py has a syntax error on line \d+.*|importing \S+\.py failed: .*"
                           r"|expected exactly one file named .*)")


def file_problems(document: dict) -> list[str]:
    """One line per file-level problem that made two or more tests fail, naming them: the first
    thing a student should fix, put above the tests whose feedback repeats it."""
    failed: dict[str, list[str]] = {}
    for test in document.get("tests", []):
        if test["score"] >= test["max_score"]:
            continue
        found = _FILE_PROBLEM.search(test.get("output") or "")
        if found:
            failed.setdefault(found.group(1).strip(), []).append(test["number"])
    return [f"One problem in your files cost {len(numbers)} checks ({', '.join(numbers)}): {problem} "
            "(fix this first: the checks below repeat it)" for problem, numbers in failed.items() if len(numbers) > 1]


def describe_adjustment(note: dict) -> str:
    """One of the TA's adjustments (``kit/grading/adjustments.py``) as the student and the TA read it."""
    what = "total" if note["test"] == "total" else f"test {note['test']}"
    return f"{what}: {note['before']:g} -> {note['after']:g} ({note['change']}): {note['reason']}"


def feedback_text(submission: str, document: dict) -> str:
    """The feedback a student reads: one section per test, failures with got/expected."""
    lines = [f"# Feedback for {submission}", "", f"**Score: {document['score']:g} / {max_total(document):g}**", ""]
    if document.get("adjustments"):
        lines += ["Adjusted by your TA:"] + [f"- {describe_adjustment(n)}" for n in document["adjustments"]] + [""]
    lines += [f"**{problem}**\n" for problem in file_problems(document)]
    if document.get("output"):
        lines += [document["output"].rstrip(), ""]
    for test in document["tests"]:
        mark = "PASS" if test["score"] >= test["max_score"] else "FAIL"
        lines.append(f"## {label_of(test)} — {mark} ({test['score']:g}/{test['max_score']:g})")
        if test["output"]:
            lines += ["", "```", test["output"].rstrip(), "```"]
        lines.append("")
    return "\n".join(lines)


def write_grades_csv(path: Path, documents: dict[str, dict]) -> None:
    """``submission``, one column per test (by name), ``total``, ``max_total`` (and ``adjustments``,
    the TA's, when there are any)."""
    columns: list[str] = []
    for document in documents.values():
        for test in document["tests"]:
            label = label_of(test)
            if label not in columns:
                columns.append(label)
    adjusted = any(document.get("adjustments") for document in documents.values())
    rows = []
    for submission, document in sorted(documents.items()):
        scores = {label_of(t): t["score"] for t in document["tests"]}
        rows.append(
            {"submission": submission, **{c: scores.get(c, "") for c in columns},
             "total": document["score"], "max_total": max_total(document)}
        )
        if adjusted:
            rows[-1]["adjustments"] = "; ".join(map(describe_adjustment, document.get("adjustments", [])))
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["submission", *columns, "total", "max_total",
                                                    *(["adjustments"] if adjusted else [])])
        writer.writeheader()
        writer.writerows(rows)
