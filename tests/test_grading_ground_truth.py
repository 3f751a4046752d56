"""The trusted cache of library-computed expected values (kit/grading/ground_truth.py)."""

import json
import stat

from kit.grading.config import REPO
from kit.grading.ground_truth import cache_key, cached


class Counting:
    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_computed_once_then_read_with_the_same_values(tmp_path):
    grader = tmp_path / "conftest.py"
    grader.write_text("SEED = 7\n")
    compute = Counting([("Conv1d", [100, 3, 2, 0, 1], 49)])
    first = cached("cases", source=grader, libraries=["numpy"], compute=compute, folder=tmp_path / "gt")
    second = cached("cases", source=grader, libraries=["numpy"], compute=compute, folder=tmp_path / "gt")
    assert compute.calls == 1
    assert first == second == [["Conv1d", [100, 3, 2, 0, 1], 49]]
    assert stat.S_IMODE((tmp_path / "gt").stat().st_mode) == 0o700  # expected values: owner only


def test_an_edited_grader_or_a_corrupt_file_computes_again(tmp_path):
    grader = tmp_path / "conftest.py"
    grader.write_text("SEED = 7\n")
    compute = Counting([1, 2, 3])
    cached("cases", source=grader, libraries=["numpy"], compute=compute, folder=tmp_path)
    grader.write_text("SEED = 8\n")
    cached("cases", source=grader, libraries=["numpy"], compute=compute, folder=tmp_path)
    assert compute.calls == 2
    for path in tmp_path.glob("cases-*.json"):
        path.write_text('{"value": [1, 2')  # cut short
    assert cached("cases", source=grader, libraries=["numpy"], compute=compute, folder=tmp_path) == [1, 2, 3]
    assert compute.calls == 3


def test_the_key_follows_the_library_versions(tmp_path):
    grader = tmp_path / "conftest.py"
    grader.write_text("x = 1\n")
    assert cache_key(grader, ["numpy"]) != cache_key(grader, ["numpy", "torch"])
    assert cache_key(grader, ["numpy", "torch"]) == cache_key(grader, ["torch", "numpy"])


def test_a_read_only_folder_still_gives_the_values(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    compute = Counting({"a": 1})
    grader = tmp_path / "conftest.py"
    grader.write_text("x = 1\n")
    for _ in range(2):
        assert cached("cases", source=grader, libraries=[], compute=compute, folder=blocker / "gt") == {"a": 1}
    assert compute.calls == 2


def test_ex02_formula_cases_from_the_cache_are_what_torch_computes(tmp_path, monkeypatch):
    """The cached answers are the grader's own computation, not a stale copy."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ex02_conftest", REPO / "autograder" / "ex02_cnn" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = json.loads(json.dumps(module._formula_cases()))
    assert len(fresh) > 100 and all(isinstance(expected, int) for _, _, expected in fresh)
    monkeypatch.setattr(module, "cached", lambda *args, **kwargs: cached(*args, **kwargs, folder=tmp_path))
    fixture = module.formula_cases.__wrapped__ if hasattr(module.formula_cases, "__wrapped__") else None
    assert fixture is not None
    for _ in range(2):  # computed, then read back
        assert [list(case) for case in fixture()] == fresh
