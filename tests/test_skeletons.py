"""Skeleton generation: assignments/ is generated from solutions/ and leaks no solution."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kit.release import skeletons
from kit.release.skeletons import MarkerError, find_regions, make_skeleton

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = REPO / "assignments"
MARKED = sorted(
    p for p in SOLUTIONS.glob("*/*.py") if find_regions(p.read_text(encoding="utf-8"), str(p))
)
# Lines shorter than this (after stripping) are idioms such as `model.eval()` or `else:`
# that may appear anywhere without revealing anything.
MIN_SOLUTION_LINE = 20
GENERIC_LINES = {"with torch.no_grad():", "optimizer.zero_grad()"}


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def _released_files(folder: Path = ASSIGNMENTS) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".md", ".txt", ".toml", ".json"}
    )


def test_every_assignment_has_marked_solutions():
    assert MARKED, "no solution file with BEGIN SOLUTION markers"
    for folder in sorted(p for p in SOLUTIONS.iterdir() if p.is_dir()):
        assert any(p.parent == folder for p in MARKED), f"{_rel(folder)} has no marked .py file"


@pytest.mark.parametrize("source", MARKED, ids=_rel)
def test_assignment_is_up_to_date(source: Path):
    target = ASSIGNMENTS / source.parent.name / source.name
    assert target.is_file(), f"{_rel(target)} is missing: run `make skeletons`"
    expected = make_skeleton(source.read_text(encoding="utf-8"), str(source))
    assert target.read_text(encoding="utf-8") == expected, f"{_rel(target)} is out of date: run `make skeletons`"


def test_check_option_agrees(capsys):
    parser = __import__("argparse").ArgumentParser()
    skeletons.add_arguments(parser)
    assert skeletons.run(parser.parse_args(["--check"])) == 0, capsys.readouterr().out


def _solution_lines(text: str) -> set[str]:
    """Non-trivial code lines that occur only inside the markers of ``text``."""
    inside, outside = set(), set()
    in_region = False
    for line in text.splitlines():
        stripped = line.strip()
        if "BEGIN SOLUTION" in stripped:
            in_region = True
        elif "END SOLUTION" in stripped:
            in_region = False
        elif stripped and not stripped.startswith("#"):
            (inside if in_region else outside).add(stripped)
    return {
        line for line in inside - outside
        if len(line) >= MIN_SOLUTION_LINE and line not in GENERIC_LINES
    }


def test_no_marker_is_released():
    leaks = [
        f"{_rel(path)}:{number}: {line.strip()!r}"
        for path in _released_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "BEGIN SOLUTION" in line or "END SOLUTION" in line
    ]
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("assignment", sorted({p.parent.name for p in MARKED}))
def test_no_solution_line_is_released(assignment: str):
    """No line that exists only inside the markers reaches any file of that assignment's folder."""
    solution_lines = {
        line: source
        for source in MARKED if source.parent.name == assignment
        for line in _solution_lines(source.read_text(encoding="utf-8"))
    }
    assert solution_lines
    leaks = [
        f"{_rel(path)}:{number}: solution line from {_rel(solution_lines[line.strip()])}: {line.strip()!r}"
        for path in _released_files(ASSIGNMENTS / assignment)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() in solution_lines
    ]
    assert not leaks, "\n".join(leaks)


SAMPLE = textwrap.dedent('''\
    import torch


    def double(x):
        """Twice x."""
        # BEGIN SOLUTION: multiply by two
        y = x * 2
        return y
        # END SOLUTION


    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # BEGIN SOLUTION
            self.fc = torch.nn.Linear(2, 1)
            # END SOLUTION

        def forward(self, x):
            return x
    ''')


def test_make_skeleton_replaces_each_region_at_its_indentation():
    skeleton = make_skeleton(SAMPLE)
    assert '    raise NotImplementedError("not implemented: multiply by two")\n' in skeleton
    assert '        super().__init__()\n        raise NotImplementedError("not implemented: see the handout")\n' in skeleton
    assert "x * 2" not in skeleton and "Linear" not in skeleton and "SOLUTION" not in skeleton
    assert "def forward(self, x):\n        return x\n" in skeleton
    namespace: dict = {}
    exec(compile(skeleton, "<skeleton>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="multiply by two"):
        namespace["double"](3)
    with pytest.raises(NotImplementedError, match="not implemented"):
        namespace["Net"]()


def test_text_without_markers_is_unchanged():
    assert make_skeleton("x = 1\n") == "x = 1\n"
    assert find_regions("x = 1\n") == []


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("a = 1\n# BEGIN SOLUTION\nb = 2\n", 2, "never closed"),
        ("a = 1\n# END SOLUTION\n", 2, "without a matching"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", 2, "nested"),
        ("# BEGIN SOLUTION\nx = 1  # END SOLUTION\n", 2, "comment line of its own"),
    ],
    ids=["unclosed", "unopened", "nested", "inline"],
)
def test_unbalanced_markers_raise_with_file_and_line(text: str, line: int, what: str):
    with pytest.raises(MarkerError, match=f"^broken.py:{line}: .*{what}"):
        make_skeleton(text, "broken.py")


def test_check_reports_stale_files_and_writes_nothing(tmp_path, capsys):
    solutions, assignments = tmp_path / "solutions", tmp_path / "assignments"
    (solutions / "ex").mkdir(parents=True)
    (solutions / "ex" / "mod.py").write_text(SAMPLE)
    (solutions / "ex" / "helper.py").write_text("x = 1\n")
    parser = __import__("argparse").ArgumentParser()
    skeletons.add_arguments(parser)
    options = ["--solutions", str(solutions), "--assignments", str(assignments)]

    assert skeletons.run(parser.parse_args([*options, "--check"])) == 1
    assert "mod.py" in capsys.readouterr().out
    assert not assignments.exists()

    assert skeletons.run(parser.parse_args(options)) == 0
    assert (assignments / "ex" / "mod.py").read_text() == make_skeleton(SAMPLE)
    assert not (assignments / "ex" / "helper.py").exists(), "files without markers are not copied"
    assert skeletons.run(parser.parse_args([*options, "--check"])) == 0

    (solutions / "ex" / "bad.py").write_text("# END SOLUTION\n")
    assert skeletons.run(parser.parse_args(options)) == 1
    assert "bad.py:1" in capsys.readouterr().out


IMPORT_SKELETON = textwrap.dedent('''\
    import importlib.util, sys
    from pathlib import Path

    import torch

    folder = Path(sys.argv[1])
    sys.path.insert(0, str(folder))

    def load(name):
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    models, training = load("my_cnn_system_student"), load("training_student")
    model = torch.nn.Linear(1, 1)
    batches = [(torch.zeros(2, 1), torch.zeros(2, dtype=torch.long))]
    calls = {
        "MyCNNSystem()": lambda: models.MyCNNSystem(),
        "conv_output_size(10, 3)": lambda: models.conv_output_size(10, 3),
        "forward": lambda: models.MyCNNSystem.forward(model, torch.zeros(2, 108, 40)),
        "train(...)": lambda: training.train(model, batches, batches, max_epochs=1),
        "test(...)": lambda: training.test(model, batches),
        "main([...])": lambda: training.main(["features"]),
    }
    for name, call in calls.items():
        try:
            call()
        except NotImplementedError as error:
            assert "not implemented" in str(error), (name, str(error))
            print("raised", name)
        else:
            print("DID NOT RAISE", name)
    ''')


def test_ex02_skeleton_imports_and_every_call_is_not_implemented():
    folder = ASSIGNMENTS / "ex02_cnn"
    result = subprocess.run(
        [sys.executable, "-B", "-c", IMPORT_SKELETON, str(folder)],
        capture_output=True, text=True, timeout=120, cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    assert "DID NOT RAISE" not in result.stdout, result.stdout
    assert result.stdout.count("raised") == 6, result.stdout


@pytest.mark.parametrize("assignment", ["ex01_features", "ex02_cnn"])
def test_the_handout_grading_table_is_the_graders_markers_and_drift_is_caught(assignment):
    """The table rows come from each test's number, handout and points markers: a handout edited
    by hand (here one row's points) differs from what `make skeletons` writes, so --check fails."""
    from kit.grading.config import load_config
    from kit.grading.markers import grader_tests, grading_table, with_grading_table

    config = load_config(assignment)
    handout = (REPO / "assignments" / assignment / "README.md").read_text(encoding="utf-8")
    assert with_grading_table(handout, config) == handout
    tests = grader_tests(config)
    table = grading_table(config).splitlines()[2:]
    assert [row.split(" | ")[0].strip("| ") for row in table] == [t.number for t in tests]
    assert sum(float(row.rsplit("|", 2)[1]) for row in table) == sum(t.points for t in tests)
    last = table[-1]
    edited = handout.replace(last, last.rsplit("|", 2)[0] + "| 99 |")
    assert edited != handout and with_grading_table(edited, config) == handout


def test_a_threshold_in_config_reaches_the_handout():
    from kit.grading.config import load_config
    from kit.grading.markers import grading_table

    config = load_config("ex02_cnn")
    settings = {**config.settings, "accuracy": {**config.settings["accuracy"], "threshold": {"embedded": 0.875}}}
    changed = config.model_copy(update={"settings": settings})
    row = next(line for line in grading_table(changed).splitlines() if line.startswith("| 4.4 |"))
    assert "accuracy threshold (0.88)" in row and "at most 30 epochs" in row
    # Per dataset: the table states the dataset's own value, and a dataset without one is named.
    settings["accuracy"]["threshold"] = {"embedded": 0.875, "gtzan": 0.9}
    row = next(line for line in grading_table(changed, "gtzan").splitlines() if line.startswith("| 4.4 |"))
    assert "accuracy threshold (0.90)" in row
    settings["accuracy"]["threshold"] = {"embedded": 0.875}
    with pytest.raises(ValueError, match=r"\[settings.accuracy\] threshold has no value for DATASET=gtzan"):
        grading_table(changed, "gtzan")
