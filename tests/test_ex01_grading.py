"""ex01 graders: the reference scores full marks, the skeleton zero, every example its golden points.

Golden files: ``autograder/examples/ex01_features/<example>/expected.json`` =
``{"total": points, "tests": {"<test number>": points}}``, checked against each README's intent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kit.grading.config import load_config
from kit.grading.goldens import comparable, expected_from_results
from kit.grading.examples import example_sources

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "autograder" / "examples" / "ex01_features"
EXAMPLE_IDS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
REQUIRED_EXAMPLES = {"reference", "skeleton", "no_log", "transposed", "native_sample_rate", "serializer_writes_nothing"}


def test_config_and_examples_are_complete():
    config = load_config("ex01_features")
    assert not config.needs_features and config.datasets == ["embedded"]
    assert REQUIRED_EXAMPLES <= set(EXAMPLE_IDS)
    for example in EXAMPLE_IDS:
        folder = EXAMPLES / example
        readme = (folder / "README.md").read_text().strip().splitlines()
        assert 1 <= len(readme) <= 3, f"{example}/README.md should be 1-3 lines"
        expected = json.loads((folder / "expected.json").read_text())
        assert expected["total"] == sum(expected["tests"].values()), example
    sources = dict(example_sources(config))
    assert sources["reference"] == REPO / "solutions" / "ex01_features"
    assert sources["skeleton"] == REPO / "assignments" / "ex01_features"


def test_points_add_up_to_the_reference_total():
    reference = json.loads((EXAMPLES / "reference" / "expected.json").read_text())
    skeleton = json.loads((EXAMPLES / "skeleton" / "expected.json").read_text())
    assert reference["total"] == sum(reference["tests"].values()) and reference["total"] > 0 and set(reference["tests"]) == set(skeleton["tests"])
    assert skeleton["total"] == 0


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    """`python -m kit grade --assignment ex01_features --jobs 2 --executor local` once.

    Two submitit local jobs at a time (EXECUTOR=local, the code path of EXECUTOR=slurm, with
    jobs that overlap and end in any order); the goldens were written by a batch of JOBS=1
    threads, so they also prove that this path grades as that one does."""
    out = tmp_path_factory.mktemp("grades")
    process = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", "ex01_features", "--jobs", "2", "--executor", "local",
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return out / "ex01_features", process


@pytest.fixture(scope="session")
def graded_examples(batch):
    return batch[0]


@pytest.mark.slow
def test_the_batch_ran_as_two_local_jobs_at_a_time(batch):
    said = " ".join(batch[1].stderr.split())  # rich wraps the line at 80 columns
    assert "2 at a time as local jobs" in said, said[-2000:]
    outcomes = sorted(p.stem for p in (batch[0] / "_jobs" / "outcomes").glob("*.json"))
    assert outcomes == EXAMPLE_IDS


@pytest.mark.slow
def test_batch_writes_every_output(graded_examples):
    for name in ("grades.csv", "report.md"):
        assert (graded_examples / name).is_file(), name
    for example in EXAMPLE_IDS:
        for name in ("results.json", "feedback.md"):
            assert (graded_examples / example / name).is_file(), f"{example}/{name}"


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_IDS)
def test_example_scores_its_golden_points(graded_examples, example):
    expected = json.loads((EXAMPLES / example / "expected.json").read_text())
    document = json.loads((graded_examples / example / "results.json").read_text())
    got = {test["number"]: test["score"] for test in document["tests"]}
    outputs = {test["number"]: test["output"] for test in document["tests"]}
    differing = {n: (got.get(n), points) for n, points in expected["tests"].items() if got.get(n) != points}
    assert not differing, "\n".join(
        f"{n}: got {g}, expected {e}\n  {outputs.get(n, '')[:400]}" for n, (g, e) in differing.items()
    )
    assert set(got) == set(expected["tests"])
    assert document["score"] == expected["total"]
    # What the student reads is part of the golden: the first line of every failing test.
    assert comparable(expected_from_results(document)["feedback"]) == comparable(expected["feedback"]), example
