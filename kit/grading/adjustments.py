"""The TA's own corrections, applied after autograding: ``grades/<assignment>/adjustments.csv``.

::

    student,test,change,reason
    ada_lovelace,3.4,+2,regrade request: the best model is restored (line 80)
    bo_chen,total,-10%,late by two days

- ``student``: the submission as ``grades.csv`` names it (its folder under ``build/grades/<id>/``);
- ``test``: a test number (``3.4``) or ``total``;
- ``change``: points (``+2``, ``-1.5``) or a percentage (``-10%``): of the test's points for a
  test, of the score after the test adjustments for ``total``. A test stays within 0 and its
  points, the total within 0 and the maximum;
- ``reason``: what the student reads beside the change.

The file lives outside ``build/`` and the graders never see it: ``results.json`` stays what the
autograder measured, and every run applies the file again to what it publishes (feedback,
``grades.csv``, the report, the LMS files), so a ``FORCE=1`` regrade keeps every correction. A
line naming a student or test that does not exist stops the run before grading, with the line.
"""

from __future__ import annotations

import copy
import csv
import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kit.grading.config import REPO, AssignmentConfig
from kit.grading.markers import grader_tests

COLUMNS = ("student", "test", "change", "reason")
_CHANGE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(%?)$")


class AdjustmentError(SystemExit):
    pass


@dataclass(frozen=True)
class Adjustment:
    student: str
    test: str  # a test number, or "total"
    change: str  # as written: "+2", "-10%"
    amount: float
    percent: bool
    reason: str
    line: int

    def delta(self, base: float) -> float:
        """The points this changes, ``base`` being a test's points or the score (for a percentage)."""
        return self.amount * base / 100 if self.percent else self.amount


def default_path(config: AssignmentConfig) -> Path:
    return REPO / "grades" / config.id / "adjustments.csv"


def read(path: Path, config: AssignmentConfig) -> list[Adjustment]:
    """The file's adjustments, checked against the assignment's tests; raises AdjustmentError naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AdjustmentError(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().casefold() for cell in rows[0]] if rows else []
    if header[:4] != list(COLUMNS):
        raise AdjustmentError(f"{path}: the first line must be the header {','.join(COLUMNS)} (it is: {','.join(header)})")
    numbers = {test.number for test in grader_tests(config)}
    found = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row[:3]] + [""] * 3
        student, test, change = cells[0], cells[1], cells[2]
        test = "total" if test.casefold() == "total" else test
        reason = ",".join(row[3:]).strip()  # an unquoted comma in the reason splits it: put it back
        where = f"{path}, line {line}"
        if not student:
            raise AdjustmentError(f"{where}: no student")
        if test != "total" and test not in numbers:
            raise AdjustmentError(f"{where}: {config.id} has no test {test!r}: name a test number "
                                  f"({', '.join(sorted(numbers, key=_order))}) or total")
        match = _CHANGE.match(change)
        if match is None:
            raise AdjustmentError(f"{where}: change {change!r} is neither points (+2, -1.5) nor a percentage (-10%)")
        if not reason:
            raise AdjustmentError(f"{where}: give a reason: the student reads it beside the change")
        found.append(Adjustment(student, test, change, float(match.group(1)), bool(match.group(2)), reason, line))
    return found


def _order(number: str) -> list[int]:
    return [int(part) if part.isdigit() else 0 for part in number.split(".")]


def check_students(adjustments: list[Adjustment], known: set[str], path: Path) -> None:
    """Stop when a line names a submission that is neither in this run nor graded before."""
    for adjustment in adjustments:
        if adjustment.student not in known:
            close = difflib.get_close_matches(adjustment.student, sorted(known), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise AdjustmentError(
                f"{path}, line {adjustment.line}: no submission named {adjustment.student!r}{hint}. Name the "
                "student as grades.csv's submission column does.")


def apply(document: dict, adjustments: list[Adjustment]) -> dict:
    """The results with the student's adjustments applied (a copy), each recorded under ``"adjustments"``
    with the score before and after, and noted in the adjusted test's output."""
    if not adjustments:
        return document
    adjusted = copy.deepcopy(document)
    tests = {test["number"]: test for test in adjusted["tests"]}
    notes = []
    for adjustment in (a for a in adjustments if a.test != "total"):
        test = tests.get(adjustment.test)
        if test is None:
            continue
        before = test["score"]
        test["score"] = round(min(max(before + adjustment.delta(test["max_score"]), 0.0), test["max_score"]), 4)
        test["output"] = ((test["output"].rstrip() + "\n") if test["output"] else "") + \
            f"Adjusted by your TA: {before:g} -> {test['score']:g} ({adjustment.change}): {adjustment.reason}"
        notes.append({"test": adjustment.test, "change": adjustment.change, "before": before, "after": test["score"],
                      "reason": adjustment.reason})
    score = round(sum(test["score"] for test in adjusted["tests"]), 4)
    maximum = round(sum(test["max_score"] for test in adjusted["tests"]), 4)
    for adjustment in (a for a in adjustments if a.test == "total"):
        before = score
        score = round(min(max(score + adjustment.delta(score), 0.0), maximum), 4)
        notes.append({"test": "total", "change": adjustment.change, "before": before, "after": score,
                      "reason": adjustment.reason})
    adjusted["score"] = score
    adjusted["adjustments"] = notes
    return adjusted


def apply_all(documents: dict[str, dict], adjustments: list[Adjustment]) -> dict[str, dict]:
    by_student: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_student.setdefault(adjustment.student, []).append(adjustment)
    return {ident: apply(document, by_student.get(ident, [])) for ident, document in documents.items()}
