"""A student's feedback page: drawn from results.json, and drawn again only when those changed."""

import json
import os

from kit.grading.html import write_student_pages
from kit.grading.results import feedback_text

DOCUMENT = {
    "score": 3.0, "output": "", "tests": [
        {"number": "4.4", "name": "accuracy", "score": 3.0, "max_score": 4.0, "output": "<b>not bold</b>",
         # What a grader attaches, in the engine's generic form: a "curves" figure and a table (here a
         # 3 x 3 confusion matrix: the engine knows no task and no number of classes).
         "extra_data": {"figures": [{"kind": "curves", "file": "training_curve", "title": "run", "x_label": "epoch",
                                     "y_label": "loss", "series": {"training loss": [0.9, 0.5, 0.4],
                                                                   "validation loss": [1.0, 0.6, "nan"]},
                                     "marks": [{"x": 2, "label": "best", "style": "best"}]}],
                        "tables": [{"title": "confusion", "caption": "rows: true intent",
                                    "columns": ["said alarm_set", "said play_music", "said weather_query"],
                                    "rows": [["alarm_set", 9, 1, 0], ["play_music", 2, 8, 0],
                                             ["weather_query", 0, 1, 11]]}]}},
    ],
}


def test_pages_are_drawn_once_per_results_and_escape_what_students_wrote(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(DOCUMENT))
    files = write_student_pages(tmp_path, "ana", DOCUMENT, title="Lab", max_grade=100)
    page = files["feedback.html"].decode()
    assert files["training_curve.png"].startswith(b"\x89PNG") and "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "grade 75.00 / 100" in page and ">9<" in page and ">11<" in page and "said weather_query" in page
    assert "<h2>4.4 accuracy</h2>" in page and "rows: true intent" in page
    drawn = (tmp_path / "feedback.html").stat().st_mtime_ns
    assert write_student_pages(tmp_path, "ana", DOCUMENT, title="Lab", max_grade=100) == files
    assert (tmp_path / "feedback.html").stat().st_mtime_ns == drawn  # not drawn again

    regraded = dict(DOCUMENT, tests=[dict(DOCUMENT["tests"][0], extra_data={})])
    (tmp_path / "results.json").write_text(json.dumps(regraded))
    later = (tmp_path / "feedback.html").stat().st_mtime + 5
    os.utime(tmp_path / "results.json", (later, later))
    files = write_student_pages(tmp_path, "ana", regraded, title="Lab", max_grade=100)
    assert "training_curve.png" not in files and not (tmp_path / "training_curve.png").exists()


def test_a_file_level_problem_that_costs_several_checks_heads_the_feedback(tmp_path):
    problem = "training_kim.py has a syntax error on line 19: invalid syntax"
    document = {"score": 1.0, "output": "", "tests": [
        {"number": "3.1", "name": "stop", "score": 0.0, "max_score": 1.0, "output": f"running train(): {problem}"},
        {"number": "3.2", "name": "best", "score": 0.0, "max_score": 1.0, "output": f"running train(): {problem}"},
        {"number": "4.2", "name": "float", "score": 1.0, "max_score": 1.0, "output": ""},
        # One check alone is not a summary's business; nor is a passing one.
        {"number": "5.1", "name": "script", "score": 0.0, "max_score": 2.0,
         "output": "main() failed: importing dataset_class_kim.py failed: NameError"},
    ]}
    summary = f"One problem in your files cost 2 checks (3.1, 3.2): {problem}"
    text = feedback_text("kim", document)
    assert text.index(summary) < text.index("## 3.1") and "cost 1 checks" not in text
    page = write_student_pages(tmp_path, "kim", document, title="Lab", max_grade=100)["feedback.html"].decode()
    assert summary in page


def test_the_report_sums_each_attached_table_over_the_class(tmp_path):
    from kit.grading.config import load_config
    from kit.grading.html import write_report_html
    from kit.grading.report import Summary, write_report

    def student(rows, columns=None):
        table = dict(DOCUMENT["tests"][0]["extra_data"]["tables"][0], rows=rows)
        if columns:
            table["columns"] = columns
        return dict(DOCUMENT, tests=[dict(DOCUMENT["tests"][0], extra_data={"tables": [table]})])

    first = [["alarm_set", 9, 1, 0], ["play_music", 2, 8, 0], ["weather_query", 0, 1, 11]]
    second = [["alarm_set", 1, 2, 3], ["play_music", 4, 5, 6], ["weather_query", 7, 8, 9]]
    documents = {"ana": student(first), "bo": student(second),
                 "cy": student(first, columns=["said a", "said b", "said c"]),  # another set of classes
                 "di": dict(DOCUMENT, tests=[dict(DOCUMENT["tests"][0], extra_data={})])}  # nothing attached
    summary = Summary(config=load_config("ex03_intent"), documents=documents)
    [table] = summary.class_tables()
    assert table["rows"] == [["alarm_set", 10, 3, 3], ["play_music", 6, 13, 6], ["weather_query", 7, 9, 20]]
    assert (table["students"], table["skipped"]) == (2, 1)
    write_report(tmp_path / "report.md", summary)
    markdown = (tmp_path / "report.md").read_text()
    assert "## 4.4 accuracy: confusion, summed over 2 submissions" in markdown
    assert "| weather_query | 7 | 9 | 20 |" in markdown and "1 submission(s) with other rows" in markdown
    write_report_html(tmp_path / "report.html", summary)
    page = (tmp_path / "report.html").read_text()
    assert "<th>weather_query</th><td class=\"num\">7</td><td class=\"num\">9</td><td class=\"num\">20</td>" in page
