"""Everything a batch hands back, rebuilt from the results on disk after grading.

Per student: ``feedback.md`` and ``feedback.html``, with the TA's adjustments and the figures and
tables the graders attached (ex02: the training curve and the held-out confusion counts). For the TA: ``report.md``, ``report.html``, ``similarity.html``, the regrade
diff, and the files the LMS imports: Moodle's filled grading worksheet and feedback-files zip,
or Canvas's gradebook CSV. Rebuilt whole on every run, so a killed or partial batch leaves
nothing stale that a rerun would not replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from kit.files import atomic_write_text
from kit.grading import html, regrade, similarity
from kit.grading.adjustments import Adjustment, apply_all
from kit.grading.config import AssignmentConfig
from kit.grading.report import Summary, write_report
from kit.grading.results import describe_adjustment, feedback_text, label_of, max_total, write_grades_csv
from kit.lms import Student, canvas, lms_grade, moodle

COMMENT_CHARS = 900


@dataclass(frozen=True)
class LmsOptions:
    worksheet: Path | None = None  # Moodle's grading worksheet, as downloaded
    grade_column: str | None = None  # its grade column, for a worksheet in another language
    feedback_column: str | None = None
    canvas_gradebook: Path | None = None  # a Canvas gradebook export
    canvas_assignment: str | None = None  # the assignment's column header in Canvas


def comment(document: dict, grade: str, max_grade: float) -> str:
    """A short plain-text summary for the LMS's feedback-comments field."""
    lost = [f"{label_of(t)} ({t['score']:g}/{t['max_score']:g})"
            for t in document["tests"] if t["score"] < t["max_score"]]
    text = f"{document['score']:g}/{max_total(document):g} points, grade {grade}/{max_grade:g}. "
    text += ("Points lost in: " + "; ".join(lost) + ". " if lost else "All checks passed. ")
    if document.get("adjustments"):
        text += "Adjusted by your TA: " + "; ".join(map(describe_adjustment, document["adjustments"])) + ". "
    text += "Details in the feedback file."
    return text if len(text) <= COMMENT_CHARS else text[: COMMENT_CHARS - 40].rstrip() + " ... Details in the feedback file."


def publish(
    config: AssignmentConfig, out: Path, documents: dict[str, dict], *, errors: list[str],
    students: dict[str, Student] | None = None, options: LmsOptions = LmsOptions(), console: Console | None = None,
    adjustments: list[Adjustment] = (), max_grade: float | None = None, boilerplate: list[Path] = (),
) -> Summary:
    """Everything of a run from its results on disk (``documents``, as graded): the TA's
    ``adjustments`` applied, grades on the scale of ``max_grade`` (default: config.toml's)."""
    console = console or Console(stderr=True)
    max_grade = max_grade or config.max_grade
    graded = documents
    documents = apply_all(documents, list(adjustments))
    for ident, document in documents.items():  # written again: an adjustment may have come or gone
        atomic_write_text(out / ident / "feedback.md", feedback_text(ident, document))
    write_grades_csv(out / "grades.csv", documents)
    students = {ident: s for ident, s in (students or {}).items() if ident in documents}
    pages = {ident: html.write_student_pages(out / ident, ident, document, title=config.title, max_grade=max_grade)
             for ident, document in documents.items()}
    summary = Summary(config, documents, errors=errors, changes=regrade.changes(out, graded), max_grade=max_grade,
                      earlier=_earlier(out, documents))
    summary.pairs, summary.boilerplate = similarity.rank_pairs(config, out, sorted(documents), out / "similarity.html",
                                                               extra_boilerplate=list(boilerplate))
    summary.lms_notes = _lms_exports(config, out, documents, students, pages, options, max_grade)
    write_report(out / "report.md", summary)
    html.write_report_html(out / "report.html", summary)
    for change in summary.changes:
        console.print(f"  changed by the regrade: {change.describe()}")
    for line in summary.lms_notes:
        console.print(f"  {line}")
    return summary


def _earlier(out: Path, documents: dict[str, dict]) -> int:
    """Graded submissions on disk under ``out`` that this run's SUBMISSIONS did not hold."""
    return sum(1 for path in out.glob("*/results.json") if path.parent.name not in documents)


def _lms_exports(config, out, documents, students, pages, options, max_grade) -> list[str]:
    notes: list[str] = []
    grades = {ident: lms_grade(documents[ident]["score"], max_total(documents[ident]), max_grade)
              for ident in documents}
    moodle_students = {ident: s for ident, s in students.items() if s.lms == "moodle"}
    canvas_students = {ident: s for ident, s in students.items() if s.lms == "canvas"}
    if options.worksheet is not None and not moodle_students:
        notes.append(f"WORKSHEET given, but no submission came from a Moodle download: {options.worksheet.name} not filled")
    if moodle_students:
        by_participant = {s.key: moodle.Grade(grades[ident], comment(documents[ident], f"{grades[ident]:.2f}", max_grade))
                          for ident, s in moodle_students.items()}
        target = out / "moodle_grading_worksheet.csv"
        if options.worksheet is not None:
            worksheet = moodle.read_worksheet(options.worksheet, grade_column=options.grade_column,
                                              feedback_column=options.feedback_column)
            outcome = worksheet.fill(target, by_participant)
            notes.append(f"Moodle: {len(outcome.filled)} grades written into {target.name} (import it with "
                         "Grading action -> Upload grading worksheet)")
            if outcome.without_submission:
                notes.append("no submission graded for (grade left empty): " + ", ".join(outcome.without_submission))
            if outcome.not_in_worksheet:
                notes.append("graded, but not in the worksheet (check the download and the worksheet are of the "
                             "same assignment): participant " + ", ".join(outcome.not_in_worksheet))
        else:
            moodle.write_new_worksheet(target, [(s, by_participant[s.key]) for s in moodle_students.values()],
                                       max_grade=max_grade)
            notes.append(f"Moodle: {target.name} written with {len(moodle_students)} grades (no WORKSHEET given; "
                         "with the worksheet downloaded from Moodle the kit fills that one in)")
        moodle.write_feedback_zip(out / "moodle_feedback_files.zip",
                                  {s: pages[ident] for ident, s in moodle_students.items()})
        notes.append("Moodle: moodle_feedback_files.zip holds each student's feedback (Upload multiple feedback "
                     "files in a zip)")
    if canvas_students:
        outcome = canvas.write_gradebook(out / "canvas_gradebook.csv", {s: grades[i] for i, s in canvas_students.items()},
                                         max_grade=max_grade, title=config.title,
                                         export=options.canvas_gradebook, assignment=options.canvas_assignment)
        notes.append(f"Canvas: canvas_gradebook.csv holds {len(outcome.written)} grades in column "
                     f"'{outcome.assignment_column}' (Grades -> Import)")
        if outcome.not_in_gradebook:
            notes.append("Canvas users graded but not in the gradebook export: " + ", ".join(outcome.not_in_gradebook))
    return notes
