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
                    found.append(GraderTest(str(marks["number"]), float(marks.get("points", 0)), node.name, path.name))
    return found
