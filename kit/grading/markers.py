"""The graders' tests as their pytest markers declare them, read from the source without running it.

Each grader test carries ``@pytest.mark.number("3.4")`` and ``@pytest.mark.points(2)``
(``kit/grading/pytest_plugin.py``). What needs the list of tests before any grading (checking a
TA's adjustments file, for example) reads it here, with ``ast``: importing the graders would
import torch and the hidden test helpers for nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from kit.grading.config import AssignmentConfig


@dataclass(frozen=True)
class GraderTest:
    number: str
    points: float
    function: str
    file: str
    handout: str = ""  # the check as the handout states it: a str.format template over config.toml's [settings]


def _marker(decorator: ast.expr) -> tuple[str, object] | None:
    """("number", "3.4") for ``@pytest.mark.number("3.4")``; None for other decorators."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    owner = decorator.func.value
    if not (isinstance(owner, ast.Attribute) and owner.attr == "mark") or not decorator.args:
        return None
    try:
        return decorator.func.attr, ast.literal_eval(decorator.args[0])
    except ValueError:
        return None


def grader_tests(config: AssignmentConfig) -> list[GraderTest]:
    """Every test of ``autograder/<id>/test_*.py`` that has a number, in file order."""
    found = []
    for path in sorted(Path(config.folder).glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                marks = dict(filter(None, map(_marker, node.decorator_list)))
                if "number" in marks:
                    found.append(GraderTest(str(marks["number"]), float(marks.get("points", 0)), node.name, path.name,
                                            str(marks.get("handout", ""))))
    return sorted(found, key=lambda test: [int(part) for part in test.number.split(".")])


TABLE_BEGIN = "<!-- grading table: generated from the graders' markers by `make skeletons`; edit them, not this -->"
TABLE_END = "<!-- end of the grading table -->"


def grading_table(config: AssignmentConfig, dataset: str = "embedded") -> str:
    """The handout's "How your submission is graded" table: one row per grader test, from its
    ``number``, ``handout`` and ``points`` markers. Values such as the accuracy threshold are filled in
    from config.toml as they hold on ``dataset`` (``AssignmentConfig.settings_for``): the handout in the
    repository states the embedded corpus's, a release for a TA's GTZAN copy the threshold calibrated on it."""
    settings = config.settings_for(dataset)
    rows = ["| # | check | points |", "|---|---|---|"]
    for test in grader_tests(config):
        if not test.handout:
            raise ValueError(f"{test.file}::{test.function} ({test.number}) has no @pytest.mark.handout(...)")
        rows.append(f"| {test.number} | {test.handout.format(**settings)} | {test.points:g} |")
    return "\n".join(rows)


def with_grading_table(handout: str, config: AssignmentConfig, name: str = "README.md", dataset: str = "embedded") -> str:
    """``handout`` with the text between TABLE_BEGIN and TABLE_END replaced by :func:`grading_table`."""
    begin, end = handout.find(TABLE_BEGIN), handout.find(TABLE_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{name} has no {TABLE_BEGIN} ... {TABLE_END} block for the grading table")
    return handout[:begin + len(TABLE_BEGIN)] + "\n" + grading_table(config, dataset) + "\n" + handout[end:]
