"""HTML pages of a batch (jinja2 templates in ``templates/``): each student's feedback and the
TA's report. Both are single files with their pictures embedded, so they open offline, as
e-mail attachments and as Moodle feedback files."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kit.files import atomic_write_bytes, atomic_write_text
from kit.grading import pictures
from kit.grading.report import TOP_PAIRS, Summary
from kit.grading.results import describe_adjustment, file_problems, label_of, max_total
from kit.lms import lms_grade

TEMPLATES = Path(__file__).parent / "templates"
_ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES),
                           autoescape=select_autoescape(["html", "j2"]))


def _b64(png: bytes | None) -> str | None:
    return base64.b64encode(png).decode() if png else None


def attachments(document: dict) -> list[dict]:
    """The figures and tables the graders attached, test by test: [{"test": "4.4 <name>", "figures":
    [spec, ...], "tables": [{"title", "caption", "columns", "rows"}, ...]}], for the feedback page.

    A grader attaches them as ``extra_data["figures"]`` (kind "curves", ``pictures.curves``; each with
    a ``file`` name for its PNG) and ``extra_data["tables"]`` (an N x N confusion matrix is a table
    whose columns and row headers are the class names): the engine draws what it is given."""
    found = []
    for test in document["tests"]:
        extra = test.get("extra_data") or {}
        figures = [f for f in extra.get("figures") or [] if isinstance(f, dict) and f.get("kind") == "curves"]
        tables = [t for t in extra.get("tables") or [] if isinstance(t, dict) and isinstance(t.get("rows"), list)]
        if figures or tables:
            found.append({"test": label_of(test), "figures": figures, "tables": tables})
    return found


def feedback_page(submission: str, document: dict, *, title: str, max_grade: float,
                  pictures_png: dict[str, bytes]) -> str:
    intake = document.get("output", "").strip()
    sections, index = [], 0
    for section in attachments(document):
        figures = []
        for figure in section["figures"]:
            figures.append(dict(figure, png=_b64(pictures_png.get(_picture_name(figure, index)))))
            index += 1
        sections.append(dict(section, figures=figures))
    return _ENVIRONMENT.get_template("feedback.html.j2").render(
        title=title, submission=submission, score=document["score"], max_score=max_total(document),
        grade=f"{lms_grade(document['score'], max_total(document), max_grade):.2f}", max_grade=max_grade,
        intake=intake, problems=file_problems(document), tests=document["tests"], sections=sections,
        adjustments=[describe_adjustment(note) for note in document.get("adjustments", [])])


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _picture_name(figure: dict, index: int) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", str(figure.get("file") or f"figure_{index}").lower()).strip("_")
    return f"{name or f'figure_{index}'}.png"


def write_student_pages(folder: Path, submission: str, document: dict, *, title: str, max_grade: float) -> dict[str, bytes]:
    """``feedback.html`` (and a PNG per attached figure, e.g. ``training_curve.png``) beside the student's
    results; returns the files.

    Drawn again only when older than the results or the kit's page code (about 0.2 s a student:
    a rerun that grades nothing new does not redraw a course's worth of pictures).
    """
    page_path = folder / "feedback.html"
    sources = [folder / "results.json", Path(__file__), Path(pictures.__file__), *TEMPLATES.glob("*.j2")]
    # What the page shows besides results.json: the TA's adjustments and the grade scale.
    key = "<!-- " + hashlib.sha256(repr((document.get("adjustments"), document["score"], title, max_grade))
                                   .encode()).hexdigest() + " -->\n"
    figures = [figure for section in attachments(document) for figure in section["figures"]]
    names = [_picture_name(figure, index) for index, figure in enumerate(figures)]
    if page_path.is_file() and page_path.stat().st_mtime >= _newest(p for p in sources if p.exists()) \
            and page_path.read_text(encoding="utf-8").endswith(key):
        files = {"feedback.html": page_path.read_bytes()}
        files.update({name: (folder / name).read_bytes() for name in names if (folder / name).is_file()})
        return files
    drawn = {}
    for figure, name in zip(figures, names):
        png = pictures.curves(figure)
        if png is not None:
            drawn[name] = png
    for stale in folder.glob("*.png"):  # a regrade without a training run leaves no stale picture
        if stale.name not in drawn:
            stale.unlink()
    for name, png in drawn.items():
        atomic_write_bytes(folder / name, png)
    page = feedback_page(submission, document, title=title, max_grade=max_grade, pictures_png=drawn) + key
    atomic_write_text(page_path, page)  # last: its time stamps the set
    return {"feedback.html": page.encode(), **drawn}


def write_report_html(path: Path, summary: Summary) -> None:
    students = summary.students()
    rates = summary.pass_rates()
    top = max((row["max_score"] for row in students), default=1.0)
    page = _ENVIRONMENT.get_template("report.html.j2").render(
        title=summary.config.title, assignment=summary.config.id, summary=summary.headline(),
        changes=summary.changes, errors=summary.errors, timeouts=summary.timeouts(), lms_notes=summary.lms_notes,
        scope=summary.scope(str(path.parent)), adjustments=summary.adjustments(), boilerplate=summary.boilerplate,
        histogram_png=_b64(pictures.score_histogram([row["score"] for row in students], top)),
        pass_rate_png=_b64(pictures.pass_rates([(r["test"][:48], r["passed"] / r["graded"]) for r in rates])),
        times_png=_b64(pictures.grading_times([(row["submission"], row["seconds"]) for row in students])),
        pass_rates=rates, class_tables=summary.class_tables(), pairs=summary.pairs[:TOP_PAIRS], students=students)
    atomic_write_text(path, page)
