"""Write the golden results of example submissions from a graded batch (after reviewing it!).

    python -m kit.grading.goldens ex02_cnn [build/grades/ex02_cnn]

Each ``autograder/examples/<assignment>/<example>/expected.json`` holds the points every
test must give that example and the first line of the feedback of every test it does not
pass in full: ``{"total": 22.0, "tests": {"1.1": 2.0, ...}, "feedback": {"1.1": "..."}}``.
The kit's tests compare fresh grading runs against both, so that a change in what a student
reads is reviewed like a change in points. Regenerate only when a grader or an example
changed on purpose, and read the diff: a golden file says what the example deserves.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from kit.grading.config import REPO, load_config


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


# Decimal numbers in feedback (values in [2.407e-15, 1133], accuracy 0.512) come from float
# arithmetic whose last digits may differ on another CPU; integers (epochs, counts, shapes) do not.
_DECIMAL = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+")


def comparable(feedback: dict[str, str]) -> dict[str, str]:
    """Feedback lines with decimal numbers masked, for comparing a fresh run with a golden."""
    return {number: _DECIMAL.sub("<decimal>", line) for number, line in feedback.items()}


def expected_from_results(document: dict) -> dict:
    return {
        "total": document["score"],
        "tests": {t["number"]: t["score"] for t in document["tests"]},
        "feedback": {t["number"]: first_line(t["output"]) for t in document["tests"] if t["score"] < t["max_score"]},
    }


def main(argv: list[str]) -> int:
    assignment = argv[0]
    results = Path(argv[1]) if len(argv) > 1 else REPO / "build" / "grades" / assignment
    examples = load_config(assignment).examples_folder
    for folder in sorted(p for p in examples.iterdir() if p.is_dir()):
        source = results / folder.name / "results.json"
        if not source.is_file():
            print(f"{folder.name}: no results in {results}; grade the examples first")
            return 1
        expected = expected_from_results(json.loads(source.read_text()))
        (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
        print(f"{folder.name}: {expected['total']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
