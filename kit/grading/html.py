"""HTML pages of a batch (jinja2 templates in ``templates/``): each student's feedback and the
TA's report. Both are single files with their pictures embedded, so they open offline, as
e-mail attachments and as Moodle feedback files."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kit.files import atomic_write_bytes, atomic_write_text
from kit.grading import pictures
from kit.grading.report import TOP_PAIRS, Summary
from kit.grading.results import describe_adjustment, file_problems, max_total
from kit.lms import lms_grade

TEMPLATES = Path(__file__).parent / "templates"
_ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES),
                           autoescape=select_autoescape(["html", "j2"]))


def _b64(png: bytes | None) -> str | None:
    return base64.b64encode(png).decode() if png else None


def accuracy_extra(document: dict) -> dict:
    """The accuracy check's data (training curve, confusion counts), if the results hold it."""
    for test in document["tests"]:
        if "training_curve" in test.get("extra_data", {}) or "heldout_confusion" in test.get("extra_data", {}):
            return test["extra_data"]
    return {}


def feedback_page(submission: str, document: dict, *, title: str, max_grade: float, curve_png: bytes | None) -> str:
    intake = document.get("output", "").strip()
    return _ENVIRONMENT.get_template("feedback.html.j2").render(
        title=title, submission=submission, score=document["score"], max_score=max_total(document),
        grade=f"{lms_grade(document['score'], max_total(document), max_grade):.2f}", max_grade=max_grade,
        intake=intake, problems=file_problems(document), tests=document["tests"], curve_png=_b64(curve_png),
        adjustments=[describe_adjustment(note) for note in document.get("adjustments", [])],
        confusion=accuracy_extra(document).get("heldout_confusion"))


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def write_student_pages(folder: Path, submission: str, document: dict, *, title: str, max_grade: float) -> dict[str, bytes]:
    """``feedback.html`` (and ``training_curve.png``) beside the student's results; returns the files.

    Drawn again only when older than the results or the kit's page code (about 0.2 s a student:
    a rerun that grades nothing new does not redraw a course's worth of pictures).
    """
    page_path, curve_path = folder / "feedback.html", folder / "training_curve.png"
    sources = [folder / "results.json", Path(__file__), Path(pictures.__file__), *TEMPLATES.glob("*.j2")]
    # What the page shows besides results.json: the TA's adjustments and the grade scale.
    key = "<!-- " + hashlib.sha256(repr((document.get("adjustments"), document["score"], title, max_grade))
                                   .encode()).hexdigest() + " -->\n"
    if page_path.is_file() and page_path.stat().st_mtime >= _newest(p for p in sources if p.exists()) \
            and page_path.read_text(encoding="utf-8").endswith(key):
        files = {"feedback.html": page_path.read_bytes()}
        if curve_path.is_file():
            files["training_curve.png"] = curve_path.read_bytes()
        return files
    curve = pictures.training_curve(accuracy_extra(document).get("training_curve"))
    page = feedback_page(submission, document, title=title, max_grade=max_grade, curve_png=curve) + key
    files = {"feedback.html": page.encode()}
    if curve is not None:
        atomic_write_bytes(curve_path, curve)
        files["training_curve.png"] = curve
    else:
        curve_path.unlink(missing_ok=True)  # a regrade without a training run leaves no stale picture
    atomic_write_text(page_path, page)  # last: its time stamps the pair
    return files


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
        pass_rates=rates, pairs=summary.pairs[:TOP_PAIRS], students=students)
    atomic_write_text(path, page)
