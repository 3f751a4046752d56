"""ex01 grader diagnostics (trusted side, no sandbox): each usual mistake gets its message,
and the skeleton imports cleanly with every function raising NotImplementedError."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kit.data.features import FeatureParams, log_mel
from kit.grading.config import REPO
from kit.grading.pytest_plugin import GradingFailure

sys.path.insert(0, str(REPO / "autograder" / "ex01_features"))
import feature_checks as checks  # noqa: E402

RNG = np.random.default_rng(0)
AUDIO = np.concatenate([np.zeros(4000), 0.1 * RNG.standard_normal(40000)]).astype(np.float32)
REFERENCE = log_mel(AUDIO, FeatureParams())


def _message(got, *, strict=True) -> str:
    with pytest.raises(GradingFailure) as failure:
        checks.check_features("f(audio)", got, REFERENCE, len(AUDIO), 2048, 1024, strict_layout=strict)
    return str(failure.value)


def test_reference_passes():
    assert checks.check_features("f", REFERENCE.copy(), REFERENCE, len(AUDIO), 2048, 1024, strict_layout=True) is None


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        (lambda r: (10.0 ** r - 1e-10).astype(np.float32), "without the log"),
        (lambda r: r.T.copy(), "transpose"),
        (lambda r: r * np.log(10.0), "natural log"),
        (lambda r: 10.0 * r, "decibels"),
        (lambda r: np.where(r < -9.99, -np.inf, r).astype(np.float32), "add a small floor before the log"),
    ],
    ids=["no_log", "transposed", "natural_log", "decibels", "no_floor"],
)
def test_mistakes_are_named(mistake, words):
    assert words in _message(mistake(REFERENCE))


def test_center_false_is_named_and_forgiven_in_value_tests():
    uncentered = log_mel(AUDIO, FeatureParams(center=False))
    assert "use center=True" in _message(uncentered)
    note = checks.check_features("f", uncentered, REFERENCE, len(AUDIO), 2048, 1024, strict_layout=False)
    assert note and "2.1" in note


def test_transposed_values_are_forgiven_when_not_strict():
    assert checks.check_features("f", REFERENCE.T.copy(), REFERENCE, len(AUDIO), 2048, 1024, strict_layout=False)


def test_feature_files_are_read_as_data_only():
    buffer = io.BytesIO()
    np.savez(buffer, features=REFERENCE, label=np.int64(1))
    arrays = checks.read_feature_bytes("file", buffer.getvalue())
    assert arrays["features"].shape == REFERENCE.shape and int(arrays["label"]) == 1
    with pytest.raises(GradingFailure, match="is a pickle"):
        checks.read_feature_bytes("file", pickle.dumps({"features": REFERENCE, "class": 1}))
    buffer = io.BytesIO()
    np.savez(buffer, features=np.array([{"x": 1}], dtype=object), label=np.int64(1))
    with pytest.raises(GradingFailure, match="pickled object array"):
        checks.read_feature_bytes("file", buffer.getvalue())
    with pytest.raises(GradingFailure, match="is empty"):
        checks.read_feature_bytes("file", b"")


CALL_SKELETON = textwrap.dedent('''\
    import importlib.util, sys
    import numpy as np
    spec = importlib.util.spec_from_file_location("fx", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls = {
        "get_audio_file_data": lambda: module.get_audio_file_data("x.wav"),
        "extract_mel_band_energies": lambda: module.extract_mel_band_energies(np.zeros(100, np.float32)),
        "serialize_features_and_classes": lambda: module.serialize_features_and_classes("x.npz", np.zeros((2, 40)), 1),
        "load_features_and_class": lambda: module.load_features_and_class("x.npz"),
        "extract_dataset_features": lambda: module.extract_dataset_features("d", "m.json", "o"),
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


def test_skeleton_imports_and_every_function_is_not_implemented(tmp_path):
    skeleton = REPO / "assignments" / "ex01_features" / "feature_extraction_student.py"
    result = subprocess.run([sys.executable, "-B", "-c", CALL_SKELETON, str(skeleton)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("raised") == 5 and "DID NOT RAISE" not in result.stdout, result.stdout
