"""The TA's report of a batch: scores, per-test pass rates, what changed, what needs a human look.

One ``Summary`` of the files on disk feeds both ``report.md`` (here) and ``report.html``
(``kit/grading/html.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kit.files import atomic_write_text
from kit.grading.config import AssignmentConfig
from kit.grading.regrade import Change
from kit.grading.results import describe_adjustment, label_of, max_total
from kit.grading.similarity import Pair
from kit.lms import lms_grade

TOP_PAIRS = 10


@dataclass
class Summary:
    config: AssignmentConfig
    documents: dict[str, dict]
    errors: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    lms_notes: list[str] = field(default_factory=list)
    max_grade: float | None = None  # the LMS's grade of full points (default: config.toml's max_grade)
    earlier: int = 0  # graded submissions on disk that this run's SUBMISSIONS did not hold
    boilerplate: list[str] = field(default_factory=list)  # what similarity subtracted, one line per source

    def __post_init__(self) -> None:
        self.max_grade = self.max_grade or self.config.max_grade

    def adjustments(self) -> list[tuple[str, str]]:
        """(submission, adjustment) for every TA adjustment applied in this run."""
        return [(name, describe_adjustment(note)) for name, document in sorted(self.documents.items())
                for note in document.get("adjustments", [])]

    def scope(self, out: str) -> str:
        """Which results the report covers, when the folder holds others."""
        if not self.earlier:
            return ""
        return (f"This report, grades.csv and the LMS files cover this run's {len(self.documents)} submissions; "
                f"{self.earlier} other graded submission(s) from earlier runs stay in {out}.")

    def headline(self) -> str:
        if not self.documents:
            return "No submission graded."
        scores = sorted(d["score"] for d in self.documents.values())
        top = max(max_total(d) for d in self.documents.values())
        return (f"{len(scores)} submissions graded; mean {sum(scores) / len(scores):.2f} / {top:g}, "
                f"median {scores[len(scores) // 2]:g}, min {scores[0]:g}, max {scores[-1]:g}. "
                f"Grades are points / {top:g} x {self.max_grade:g}, rounded half up to 2 decimals.")

    def pass_rates(self) -> list[dict]:
        rows: dict[str, dict] = {}
        for document in self.documents.values():
            for test in document["tests"]:
                label = label_of(test)
                row = rows.setdefault(label, {"test": label, "points": test["max_score"], "passed": 0, "graded": 0})
                row["graded"] += 1
                row["passed"] += test["score"] >= test["max_score"]
        return list(rows.values())

    def class_tables(self) -> list[dict]:
        """The tables graders attached (an N x N confusion matrix), summed cell by cell over the class:
        {"test", "title", "columns", "rows", "students"} per test and title. Only tables whose rows are a
        name followed by numbers, with the columns of the first student's, are summed; a table that
        differs (another set of classes) is left out and counted in ``skipped``."""
        summed: dict[tuple[str, str], dict] = {}
        for document in self.documents.values():
            for test in document["tests"]:
                for table in (test.get("extra_data") or {}).get("tables") or []:
                    rows = table.get("rows") if isinstance(table, dict) else None
                    if not _numeric_rows(rows):
                        continue
                    key = (label_of(test), str(table.get("title", "")))
                    entry = summed.setdefault(key, {"test": key[0], "title": key[1], "columns": table.get("columns"),
                                                    "rows": [[row[0], *[0] * (len(row) - 1)] for row in rows],
                                                    "students": 0, "skipped": 0})
                    if table.get("columns") != entry["columns"] or [r[0] for r in rows] != [r[0] for r in entry["rows"]]:
                        entry["skipped"] += 1
                        continue
                    entry["students"] += 1
                    for total, row in zip(entry["rows"], rows):
                        total[1:] = [a + b for a, b in zip(total[1:], row[1:])]
        return list(summed.values())

    def timeouts(self) -> list[tuple[str, list[str]]]:
        return [(name, [t["number"] for t in d["tests"] if "timeout" in t.get("tags", [])])
                for name, d in sorted(self.documents.items())
                if any("timeout" in t.get("tags", []) for t in d["tests"])]

    def students(self) -> list[dict]:
        rows = []
        for name, document in sorted(self.documents.items()):
            problems = "; ".join(line[len("Problem: "):] for line in document.get("output", "").splitlines()
                                 if line.startswith("Problem: "))
            rows.append({"submission": name, "score": document["score"], "max_score": max_total(document),
                         "grade": f"{lms_grade(document['score'], max_total(document), self.max_grade):.2f}",
                         "seconds": document.get("execution_time", 0.0), "problems": problems})
        return rows


def _numeric_rows(rows) -> bool:
    return isinstance(rows, list) and bool(rows) and all(
        isinstance(row, list) and len(row) == len(rows[0]) and len(row) > 1
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row[1:]) for row in rows)


def write_report(path: Path, summary: Summary) -> None:
    config = summary.config
    lines = [f"# {config.title} ({config.id}): grading report", "", summary.headline(), ""]
    if summary.scope(str(path.parent)):
        lines += [summary.scope(str(path.parent)), ""]
    if summary.adjustments():
        lines += [f"## Adjustments by the TA ({len(summary.adjustments())})", ""]
        lines += [f"- {name}: {text}" for name, text in summary.adjustments()] + [""]
    if summary.changes:
        lines += [f"## Changed by the last regrade ({len(summary.changes)})", ""]
        lines += [f"- {change.describe()}" for change in summary.changes] + [""]
    if summary.documents:
        lines += ["| test | points | passed |", "|---|---|---|"]
        lines += [f"| {r['test']} | {r['points']:g} | {r['passed']}/{r['graded']} |" for r in summary.pass_rates()]
        lines += ["", "| submission | score | grade | seconds | intake problems |", "|---|---|---|---|---|"]
        lines += [f"| {r['submission']} | {r['score']:g} / {r['max_score']:g} | {r['grade']} | {r['seconds']:.0f} | "
                  f"{r['problems']} |" for r in summary.students()]
        lines.append("")
    for table in summary.class_tables():
        lines += [f"## {table['test']}: {table['title']}, summed over {table['students']} submissions", ""]
        lines += ["| | " + " | ".join(map(str, table["columns"] or [])) + " |",
                  "|---|" + "---|" * (len(table["rows"][0]) - 1)]
        lines += ["| " + " | ".join(f"{v:g}" if not isinstance(v, str) else v for v in row) + " |" for row in table["rows"]]
        if table["skipped"]:
            lines.append(f"\n({table['skipped']} submission(s) with other rows or columns are not in this sum.)")
        lines.append("")
    if summary.timeouts():
        lines += ["## Timeouts", ""] + [f"- {name}: {', '.join(tests)}" for name, tests in summary.timeouts()] + [""]
    if summary.pairs:
        lines += ["## Most similar submissions (copydetect; code side by side in similarity.html)", ""]
        lines += [f"- {p.first} / {p.second}: {100 * p.score:.0f} %" for p in summary.pairs[:TOP_PAIRS]] + [""]
        lines += ["Subtracted as boilerplate: " + "; ".join(summary.boilerplate), ""]
    if summary.lms_notes:
        lines += ["## LMS", ""] + [f"- {line}" for line in summary.lms_notes] + [""]
    if summary.errors:
        lines += ["## Grader errors (not graded; see grader-error.log in their folders, then rerun)", ""]
        lines += [f"- {name}" for name in summary.errors] + [""]
    atomic_write_text(path, "\n".join(lines))
