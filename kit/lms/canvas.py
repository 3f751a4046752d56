"""Grades back into Canvas through its gradebook import (Grades -> Import).

The import CSV (Canvas's ``GradebookImporter`` and its export, ``GradebookExporter``): a
header ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section`` (``Section`` ends the
student columns; ``Root Account`` may precede it), then one column per assignment headed
``<assignment name> (<assignment id>)``; without the id Canvas matches the column by name or
offers to create a new assignment. A second row starting ``Points Possible`` gives each
assignment's maximum. Students are matched by ``ID`` (the Canvas user id), then SIS ids, then
name; a blank cell leaves a grade as it is. Trailing columns such as ``Current Score`` are
ignored.

Where the ids come from: a Canvas submissions download names each file
``<sortable name>[_LATE]_<user id>_<attachment id>_<file name>`` (``kit/lms/downloads.py``),
so the user id is known; a gradebook export (``CANVAS_GRADEBOOK=``, Grades -> Export) adds
the student's name, SIS ids and section, and the assignment's column header.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kit.files import atomic_write_text
from kit.lms import Student

STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"


class GradebookError(SystemExit):
    pass


@dataclass
class CanvasOutcome:
    assignment_column: str
    written: list[str]  # user ids
    not_in_gradebook: list[str]  # graded user ids the export does not list


def _read_export(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][:2] != ["Student", "ID"]:
        raise GradebookError(f"{path} is not a Canvas gradebook export (its header must start with Student,ID)")
    header = rows[0]
    records = [dict(zip(header, row)) for row in rows[1:] if row and row[0].strip()]
    return header, records


def assignment_column(header: list[str], wanted: str | None, title: str) -> str:
    """The export's column for this assignment: ``wanted`` (CANVAS_ASSIGNMENT, a name or a full
    header), else the one column whose name (before " (<id>)") is the assignment's title."""
    candidates = [h for h in header if re.search(r"\(\d+\)\s*$", h)]
    for name in ([wanted] if wanted else [title]):
        for header_name in candidates:
            if header_name == name or re.sub(r"\s*\(\d+\)\s*$", "", header_name) == name:
                return header_name
    if wanted:
        return wanted
    listed = ", ".join(candidates) or "none"
    raise GradebookError(f"the gradebook export has no assignment column for {title!r} (its assignments: {listed}); "
                         "name it with CANVAS_ASSIGNMENT='<column header>'")


def write_gradebook(
    target: Path, grades: dict[Student, Decimal], *, max_grade: float, title: str,
    export: Path | None = None, assignment: str | None = None,
) -> CanvasOutcome:
    """The import CSV for ``grades`` (Canvas students -> grade out of ``max_grade``)."""
    by_id = {student.key: (student, grade) for student, grade in grades.items()}
    records: dict[str, dict[str, str]] = {}
    if export is not None:
        header, rows = _read_export(export)
        column = assignment_column(header, assignment, title)
        records = {row["ID"]: row for row in rows if row.get("ID", "").strip().isdigit()}
    else:
        column = assignment or title
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*STUDENT_COLUMNS, column])
    writer.writerow([POINTS_POSSIBLE, "", "", "", "", f"{max_grade:.2f}"])
    written = []
    for key in sorted(by_id, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k)):
        student, grade = by_id[key]
        record = records.get(key, {})
        name = record.get("Student") or student.name
        writer.writerow([name, key, record.get("SIS User ID", ""), record.get("SIS Login ID", ""),
                         record.get("Section", ""), f"{grade:.2f}"])
        written.append(key)
    atomic_write_text(target, out.getvalue())
    missing = [key for key in written if export is not None and key not in records]
    return CanvasOutcome(column, written, missing)
