"""The trusted cache of library-computed expected values (kit/grading/ground_truth.py)."""

import json
import stat

import numpy as np

from kit.grading.config import REPO
from kit.grading.ground_truth import cache_key, cached, memoized


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

    # The conftest imports its grader folder's modules, as pytest's rootdir-relative import gives it when
    # grading: without this the test passed only after another test of its worker had put the folder on sys.path.
    monkeypatch.syspath_prepend(str(REPO / "autograder" / "ex02_cnn"))
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


CALLS = []


def scaled(audio, factor):
    CALLS.append(factor)
    return (audio * factor).astype(np.float32)


def file_length(path):
    CALLS.append(path.name)
    return np.array([len(path.read_bytes())], dtype=np.int64)


def test_memoized_calls_once_per_distinct_argument(tmp_path):
    CALLS.clear()
    audio = np.arange(6, dtype=np.float32)
    first = memoized(scaled, audio, 2.0, libraries=["numpy"], folder=tmp_path)
    again = memoized(scaled, audio.copy(), 2.0, libraries=["numpy"], folder=tmp_path)
    assert CALLS == [2.0] and again.dtype == np.float32 and np.array_equal(first, again)
    memoized(scaled, audio, 3.0, libraries=["numpy"], folder=tmp_path)  # another parameter
    memoized(scaled, audio + 1, 2.0, libraries=["numpy"], folder=tmp_path)  # another array
    assert CALLS == [2.0, 3.0, 2.0]


def test_memoized_keys_a_file_by_its_content(tmp_path):
    CALLS.clear()
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"abc")
    assert memoized(file_length, clip, libraries=[], folder=tmp_path / "gt")[0] == 3
    assert memoized(file_length, clip, libraries=[], folder=tmp_path / "gt")[0] == 3
    clip.write_bytes(b"abcdef")  # same name, new content
    assert memoized(file_length, clip, libraries=[], folder=tmp_path / "gt")[0] == 6
    assert CALLS == ["clip.wav", "clip.wav"]


def test_ex01_log_mel_from_the_cache_is_what_librosa_computes(tmp_path):
    from kit.data.features import FeatureParams, log_mel

    audio = (0.1 * np.random.default_rng(0).standard_normal(22050)).astype(np.float32)
    params = FeatureParams(duration=1.0)
    fresh = log_mel(audio, params)
    for _ in range(2):  # computed, then read back
        got = memoized(log_mel, audio, params, libraries=["librosa", "numpy"], folder=tmp_path)
        assert got.dtype == fresh.dtype and np.array_equal(got, fresh)
    assert len(list(tmp_path.glob("log_mel-*.npy"))) == 1
