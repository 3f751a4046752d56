"""A student's feedback page: drawn from results.json, and drawn again only when those changed."""

import json
import os

from kit.grading.html import write_student_pages
from kit.grading.results import feedback_text

DOCUMENT = {
    "score": 3.0, "output": "", "tests": [
        {"number": "4.4", "name": "accuracy", "score": 3.0, "max_score": 4.0, "output": "<b>not bold</b>",
         "extra_data": {"training_curve": {"train_losses": [0.9, 0.5, 0.4], "val_losses": [1.0, 0.6, 0.7],
                                           "stop_epoch": 3, "best_epoch": 2},
                        "heldout_confusion": {"classes": ["speech", "music"], "counts": [[9, 1], [2, 8]]}}},
    ],
}


def test_pages_are_drawn_once_per_results_and_escape_what_students_wrote(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(DOCUMENT))
    files = write_student_pages(tmp_path, "ana", DOCUMENT, title="Lab", max_grade=100)
    page = files["feedback.html"].decode()
    assert files["training_curve.png"].startswith(b"\x89PNG") and "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "grade 75.00 / 100" in page and ">9<" in page
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
