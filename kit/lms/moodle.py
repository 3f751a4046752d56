"""Grades and feedback back into Moodle (mod/assign, Moodle 4.x; 3.x writes the same files).

**Grading worksheet** ("Grading action" -> "Download grading worksheet", with the offline
grading worksheet feedback type on). Moodle writes it with ``csv_export_writer``: PHP's
``fputcsv`` (comma, ``"`` enclosure around fields holding a space, comma, quote or line
break), ``\\n`` line ends, UTF-8 without a byte-order mark. Columns in order: ``Identifier``
("Participant <id>"), ``Full name``, the site's identity fields (e.g. ``Email address``),
``Status``, [``Team``], [``Marker``], ``Grade``, ``Maximum grade``, [``Marking workflow
state``], ``Grade can be changed``, ``Last modified (submission)``, submission text columns,
``Last modified (grade)``, feedback text columns (``Feedback comments``); headers are in the
downloading user's language. Its importer (``feedback/offline/importgradeslib.php``) reads
UTF-8, finds the columns by their (localised) header text, needs ``Identifier``, ``Grade`` and
``Last modified (grade)``, takes the participant id from the end of the identifier, and skips
a row whose grade is blank, unchanged, above the maximum, locked, or changed in Moodle after
the worksheet's ``Last modified (grade)`` (unless the TA ticks "Allow updating records
modified more recently in Moodle").

The kit fills the TA's worksheet in place (``read_worksheet``, ``Worksheet.fill``): only the grade and feedback
cells of participants with a graded submission change, byte for byte everything else stays
(``csv_cells``). Without one it writes a minimal worksheet with the columns the importer needs.

**Feedback files** ("Upload multiple feedback files in a zip"): the importer
(``feedback/file/importziplib.php``) splits each path part at ``_`` and takes the second
field as the participant id, so each student's files go in a folder named as in the
submissions download.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from kit.files import atomic_write_bytes
from kit.lms import Student
from kit.lms.csv_cells import RawCsv, sniff_delimiter
from kit.zipfiles import write_zip

IDENTIFIER, FULL_NAME, GRADE, MAXIMUM_GRADE = "Identifier", "Full name", "Grade", "Maximum grade"
LAST_MODIFIED_GRADE, FEEDBACK_COMMENTS = "Last modified (grade)", "Feedback comments"


@dataclass(frozen=True)
class Grade:
    """What goes back for one participant."""

    value: Decimal
    comment: str  # plain text for the feedback-comments column


@dataclass
class WorksheetOutcome:
    filled: list[str] = field(default_factory=list)  # participant ids whose grade was set
    without_submission: list[str] = field(default_factory=list)  # "Participant 7 (Ann Lee)" rows left empty
    not_in_worksheet: list[str] = field(default_factory=list)  # graded participant ids with no row


class WorksheetError(SystemExit):
    pass


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): Moodle's UTF-8, with or without a byte-order mark (a spreadsheet
    program may add one), else Windows-1252 (what Excel saves as "CSV" on Windows)."""
    for encoding in ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise WorksheetError("the worksheet is neither UTF-8 nor Windows-1252 text; download it again from Moodle")


def _column(header: list[str], wanted: str | None, default: str, what: str, option: str, required: bool) -> int | None:
    name = wanted or default
    folded = [h.strip().casefold() for h in header]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    if required or wanted:
        raise WorksheetError(
            f"the worksheet has no {what} column {name!r} (its columns: {', '.join(header)}). For a worksheet "
            f"downloaded in another language, name the column: {option}='<its header>'")
    return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", "."))
    except ArithmeticError:
        return None


@dataclass
class Worksheet:
    """A downloaded worksheet, its columns found and its maximum grade read (``read_worksheet``)."""

    table: RawCsv
    encoding: str
    grade_at: int
    feedback_at: int | None
    identifier_at: int
    name_at: int | None
    decimal_comma: bool  # the worksheet writes 100,00: its grades are written so too
    rows: dict[int, str]  # row index -> participant id
    maximum_grade: float | None = None  # its "Maximum grade" (None: the worksheet has no such column)

    def fill(self, target: Path, grades: dict[str, Grade]) -> WorksheetOutcome:
        """Write the worksheet to ``target`` with the grade (and feedback comment) of every
        participant in ``grades`` (by participant id) set, and nothing else changed."""
        outcome = WorksheetOutcome()
        for row, participant in self.rows.items():
            values = self.table.values(row)
            if participant not in grades:
                name = values[self.name_at] if self.name_at is not None and self.name_at < len(values) else ""
                outcome.without_submission.append(values[self.identifier_at] + (f" ({name})" if name else ""))
                continue
            value = f"{grades[participant].value:.2f}"
            self.table.set(row, self.grade_at, value.replace(".", ",") if self.decimal_comma else value)
            if self.feedback_at is not None:
                self.table.set(row, self.feedback_at, grades[participant].comment)
            outcome.filled.append(participant)
        outcome.not_in_worksheet = sorted(set(grades) - set(self.rows.values()), key=int)
        atomic_write_bytes(target, self.table.text().encode(self.encoding))
        return outcome


def read_worksheet(source: Path, *, grade_column: str | None = None, feedback_column: str | None = None) -> Worksheet:
    """The worksheet in ``source``; raises WorksheetError, saying what to do, when its columns cannot
    be found or its rows disagree on the maximum grade. Its "Maximum grade" is the scale the kit's
    grades are written on (Moodle skips a grade above it). ``make grade`` reads it before grading,
    so that a wrong file costs no batch."""
    text, encoding = _decode(source.read_bytes())
    table = RawCsv.parse(text, sniff_delimiter(text.split("\n", 1)[0]))
    if not table.rows:
        raise WorksheetError(f"{source} is empty")
    header = table.values(0)
    grade_at = _column(header, grade_column, GRADE, "grade", "GRADE_COLUMN", required=True)
    feedback_at = _column(header, feedback_column, FEEDBACK_COMMENTS, "feedback", "FEEDBACK_COLUMN", required=False)
    identifier_at = _column(header, None, IDENTIFIER, "identifier", "", required=False)
    identifier_at = 0 if identifier_at is None else identifier_at  # Moodle always puts it first
    maximum_at = _column(header, None, MAXIMUM_GRADE, "maximum grade", "", required=False)
    name_at = _column(header, None, FULL_NAME, "full name", "", required=False)
    rows: dict[int, str] = {}
    decimal_comma = False
    maxima: dict[Decimal, str] = {}  # each maximum grade found -> the first participant with it
    for row in range(1, len(table.rows)):
        values = table.values(row)
        match = re.search(r"(\d+)\s*$", values[identifier_at] if identifier_at < len(values) else "")
        if match is None:
            continue  # a blank or foreign line: left as it is
        rows[row] = match.group(1)
        if maximum_at is not None and maximum_at < len(values):
            maximum = _number(values[maximum_at])
            decimal_comma = decimal_comma or "," in values[maximum_at]
            if maximum is not None:
                maxima.setdefault(maximum, values[identifier_at])
    if len(maxima) > 1:
        raise WorksheetError(
            "the worksheet's rows disagree on the maximum grade (" + ", ".join(f"{value:g} for {who}" for value, who
                                                                              in maxima.items())
            + "): download the worksheet again from one assignment in Moodle")
    maximum = next(iter(maxima), None)
    return Worksheet(table, encoding, grade_at, feedback_at, identifier_at, name_at, decimal_comma, rows,
                     float(maximum) if maximum is not None and maximum > 0 else None)


def write_new_worksheet(target: Path, students: list[tuple[Student, Grade]], *, max_grade: float) -> None:
    """A worksheet for Moodle's importer when the TA gave none: the three columns it needs, with
    the name, maximum and comment beside them. ``Last modified (grade)`` is now, so the import
    does not skip a row whose grade Moodle changed before this run."""
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    table = RawCsv(",")
    table.rows.append([])
    table.endings.append("\n")
    for column, title in enumerate((IDENTIFIER, FULL_NAME, GRADE, MAXIMUM_GRADE, LAST_MODIFIED_GRADE, FEEDBACK_COMMENTS)):
        table.set(0, column, title)
    for student, grade in sorted(students, key=lambda pair: int(pair[0].key)):
        row = len(table.rows)
        table.rows.append([])
        table.endings.append("\n")
        for column, value in enumerate((f"Participant {student.key}", student.name, f"{grade.value:.2f}",
                                        f"{max_grade:.2f}", now, grade.comment)):
            table.set(row, column, value)
    atomic_write_bytes(target, table.text().encode("utf-8"))


def write_feedback_zip(target: Path, feedback: dict[Student, dict[str, bytes]]) -> None:
    """``<download folder name>/<file>`` for each student, as "Upload multiple feedback files" reads it."""
    files = {f"{student.folder}/{name}": content for student, named in feedback.items() for name, content in named.items()}
    write_zip(target, files)
