"""The grader itself, end to end: every example submission of every assignment gets exactly its golden points.

One batch (`python -m kit grade`) per assignment grades all its examples on the embedded corpus;
the tests then read its output. Goldens: autograder/examples/<id>/*/expected.json, written from a
`make grade` batch (JOBS=1, threads). This batch runs each submission as a job of submitit's local
executor (EXECUTOR=local, the code path of EXECUTOR=slurm), so the goldens also prove that path
grades exactly as JOBS=1 does. One job at a time: the suite's other worker fills the other core
(tests/conftest.py), and each assignment's tests are a group of their own, so two assignments'
batches run at once. The checks of ex02's own examples (a runaway train(), the hostile ones, the
pictures of its feedback) are tests of the ex02 group, and read the same batch.
"""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from kit.grading.config import REPO, assignments, load_config
from kit.grading.goldens import comparable, expected_from_results

ASSIGNMENTS = assignments()
EX02 = ["ex02_cnn"]

pytestmark = pytest.mark.slow


def names_of(assignment):
    return sorted(p.name for p in load_config(assignment).examples_folder.iterdir() if p.is_dir())


def grade(assignment, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kit", "grade", "--assignment", assignment, *args],
                          capture_output=True, text=True, cwd=REPO)


_BATCHES: dict = {}


@pytest.fixture
def batch(assignment, tmp_path_factory):
    """(the assignment's grades folder, the process): one batch per assignment and session."""
    if assignment not in _BATCHES:
        out = tmp_path_factory.mktemp(f"grades-{assignment}")
        process = grade(assignment, "--executor", "local", "--out", str(out))
        assert process.returncode == 0, process.stderr[-3000:]
        _BATCHES[assignment] = (out / assignment, process)
    return _BATCHES[assignment]


def results(batch, name):
    return json.loads((batch[0] / name / "results.json").read_text())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_example_gets_its_golden_points_and_feedback(batch, assignment):
    config = load_config(assignment)
    wrong = []
    for name in names_of(assignment):
        expected = config.golden(name)
        got = expected_from_results(results(batch, name))
        if (got["total"], got["tests"]) != (expected["total"], expected["tests"]):
            differing = {n: (got["tests"].get(n), p) for n, p in expected["tests"].items() if got["tests"].get(n) != p}
            wrong.append(f"{name}: total {got['total']} (golden {expected['total']}), tests (got, golden) {differing}; "
                         f"see {batch[0] / name / 'feedback.md'}")
        # What the student reads is part of the golden: the first line of every failing test.
        elif comparable(got["feedback"]) != comparable(expected["feedback"]):
            wrong.append(f"{name}: feedback differs from the golden; see {batch[0] / name / 'feedback.md'}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks_and_skeleton_zero(batch, assignment):
    document = results(batch, "reference")
    assert document["tests"] and all(t["score"] == t["max_score"] for t in document["tests"])
    skeleton = results(batch, "skeleton")
    assert skeleton["score"] == 0
    # Every check says why: the skeleton's "not implemented", or the check it follows from ("see 1.1").
    unexplained = [t["output"][:200] for t in skeleton["tests"]
                   if "not implemented" not in t["output"] and "(see " not in t["output"]]
    assert not unexplained, unexplained


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_results_follow_the_gradescope_schema(batch, assignment):
    names = names_of(assignment)
    for name in names:
        document = results(batch, name)
        assert set(document) == {"score", "execution_time", "output", "visibility", "tests"}
        for test in document["tests"]:
            required = {"name", "number", "score", "max_score", "output", "visibility", "execution_time"}
            assert required <= set(test) <= required | {"tags", "extra_data"}
            assert test["visibility"] in {"hidden", "after_due_date", "after_published", "visible"}
            assert 0 <= test["score"] <= test["max_score"]
            assert test["execution_time"] >= 0
    # Visibility comes from config.toml (e.g. [visibility] "4.4" = "after_published"), the rest stays visible.
    reference = {t["number"]: t["visibility"] for t in results(batch, "reference")["tests"]}
    for number, visibility in load_config(assignment).visibility.items():
        assert reference.pop(number) == visibility, number
    assert set(reference.values()) == {"visible"}
    # No example runs into a time limit (a timeout's tag and report: tests/test_grading_checks.py).
    assert not [name for name in names if any("timeout" in t.get("tags", []) for t in results(batch, name)["tests"])]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grades_csv_and_report(batch, assignment):
    names = names_of(assignment)
    with open(batch[0] / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["submission"] for row in rows] == names
    header = list(rows[0])
    assert header[0] == "submission" and header[-2:] == ["total", "max_total"]
    reference = next(row for row in rows if row["submission"] == "reference")
    assert float(reference["total"]) == float(reference["max_total"]) == results(batch, "reference")["score"]
    assert (batch[0] / "report.md").read_text().count("|") > 20
    for name in names:
        assert (batch[0] / name / "feedback.md").is_file()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_batch_ran_as_submitit_jobs(batch, assignment):
    assert "as local jobs" in " ".join(batch[1].stderr.split())  # rich wraps the line at 80 columns
    outcomes = sorted(p.stem for p in (batch[0] / "_jobs" / "outcomes").glob("*.json"))
    assert outcomes == names_of(assignment)



@pytest.mark.parametrize("assignment", EX02)
def test_a_train_that_never_stops_is_stopped_by_epochs_and_its_model_measured(batch, assignment):
    """4.4 stops a runaway train() after 100 epochs (not at its time limit) and grades the model it
    had trained; the missing stop is charged by part 3 alone (infinite_loop's golden). The training
    script that calls it (5.1) is stopped after 500 passes over its loaders, not at its time limit."""
    tests = {t["number"]: t for t in results(batch, "infinite_loop")["tests"]}
    assert "timeout" not in tests["4.4"].get("tags", [])
    assert "still training after 100 epochs with max_epochs=30" in tests["4.4"]["output"]
    assert "timeout" not in tests["5.1"].get("tags", []) and tests["5.1"]["score"] == 0
    assert "was still running after 500 passes over its data loaders" in tests["5.1"]["output"]


@pytest.mark.parametrize("assignment", EX02)
def test_hostile_submissions_gain_nothing(batch, assignment):
    """Reading grader files or labels, or patching pytest, earns no point its code did not earn."""
    reader = results(batch, "reads_grader_files")
    accuracy = next(t for t in reader["tests"] if t["number"] == "4.4")
    assert accuracy["score"] == 0, "held-out labels reached the sandbox"
    patcher = results(batch, "patches_pytest")
    assert patcher["score"] == results(batch, "skeleton")["score"] == 0
    hidden_sources = [p.read_text() for p in (REPO / "autograder" / assignment).glob("test_*.py")]
    secrets = {line.strip() for text in hidden_sources for line in text.splitlines() if len(line.strip()) > 30}
    for name in ("reads_grader_files", "patches_pytest"):
        feedback = (batch[0] / name / "feedback.md").read_text()
        leaked = [line for line in secrets if line in feedback]
        assert not leaked, f"{name}'s feedback shows hidden grader lines: {leaked[:3]}"


@pytest.mark.parametrize("assignment", EX02)
def test_rerun_skips_graded_submissions(batch, assignment):
    before = (batch[0] / "reference" / "results.json").read_bytes()
    process = grade(assignment, "--out", str(batch[0].parent))
    assert process.returncode == 0
    assert f"skipping {len(names_of(assignment))} already graded" in process.stderr
    assert (batch[0] / "reference" / "results.json").read_bytes() == before


@pytest.mark.parametrize("assignment", EX02)
def test_feedback_html_shows_the_students_training_run(batch, assignment):
    folder = batch[0] / "reference"
    page = (folder / "feedback.html").read_text()
    assert (folder / "training_curve.png").read_bytes().startswith(b"\x89PNG")
    assert 'src="data:image/png;base64,' in page and "said music" in page
    accuracy = next(t for t in results(batch, "reference")["tests"] if t["number"] == "4.4")
    table = accuracy["extra_data"]["tables"][0]
    assert table["columns"] == ["said speech", "said music"] and [row[0] for row in table["rows"]] == ["speech", "music"]
    counts = [row[1:] for row in table["rows"]]
    assert sum(map(sum, counts)) == 40 and counts[0][0] + counts[1][1] >= 32  # threshold 0.80 on 40 clips
    curve = accuracy["extra_data"]["figures"][0]
    losses = curve["series"]["training loss"], curve["series"]["validation loss"]
    assert len(losses[0]) == len(losses[1]) == curve["stop_epoch"] >= curve["best_epoch"] >= 1
    assert not (batch[0] / "skeleton" / "training_curve.png").exists()  # no run, no picture


@pytest.mark.parametrize("assignment", EX02)
def test_report_html_opens_in_chromium_with_its_images_showing(batch, assignment, tmp_path):
    """Headless Debian chromium (installed by `make`'s set-up): every embedded image decodes."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: run `apt-get install chromium` (make setup does as root)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        for html in (batch[0] / "report.html", batch[0] / "reference" / "feedback.html"):
            page.goto(html.resolve().as_uri())
            images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])")
            assert images and all(shown for _, shown in images), (html, images)
        page.goto((batch[0] / "report.html").resolve().as_uri())
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        links = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
        browser.close()
    assert "similarity.html" in links and "reference/feedback.html" in links
    assert all((batch[0] / link).is_file() for link in links)
