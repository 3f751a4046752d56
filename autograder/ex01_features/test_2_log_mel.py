"""2. extract_mel_band_energies against the kit's reference features on grader-chosen audio.

The reference is ``kit.data.features.log_mel`` (librosa mel power spectrogram, center=True,
log10(mel + 1e-10), time x mel), computed on the trusted side. Shape and layout are graded
once, in 2.1; the value tests compare after undoing a transposed layout or center=False, so
one mistake costs its points once.
"""

import numpy as np
import pytest
from feature_checks import check_features, layout_problem, shape_text

from kit.grading.checks import describe_failure
from kit.grading.pytest_plugin import fail, note, require


def _features(feature_run, signals, name):
    """The student's array for signal ``name`` (fails with the student's error if there is none)."""
    response = require(feature_run, "running extract_mel_band_energies")
    index = list(signals).index(name)
    report = response["signals"][index]
    signal = signals[name]
    if "missing" in report:
        fail(f"feature_extraction_<name>.py defines no function {report['missing']}")
    if "failure" in report:
        fail(describe_failure(report["failure"], doing=signal.call()))
    got = feature_run.arrays.get(report.get("array", ""))
    if got is None:
        fail(f"{signal.call()} returned {report.get('returned')}, expected a float32 numpy array "
             f"of shape {shape_text(signal.expected.shape)}")
    return got


def _check_values(feature_run, signals, names, request):
    remarks = []
    for name in names:
        signal = signals[name]
        got = _features(feature_run, signals, name)
        remark = check_features(signal.call(), got, signal.expected, len(signal.audio), signal.params.n_fft,
                                signal.params.hop_length, strict_layout=False)
        if remark:
            remarks.append(remark)
    if remarks:
        note(request, remarks[0])  # one remark per test is enough


@pytest.mark.points(2)
@pytest.mark.number("2.1")
def test_shape_time_by_mel(feature_run, signals, request):
    """Returns a float array of shape (T, 40), time x mel, with T = 1 + len(audio) // 1024 (center=True)"""
    for name in ("sweep", "noise", "silence", "speech", "music"):
        signal = signals[name]
        got = _features(feature_run, signals, name)
        if got.dtype.kind != "f":
            fail(f"{signal.call()}: got an array of dtype {got.dtype}, expected float32")
        problem = layout_problem(got, signal.expected, len(signal.audio), signal.params.n_fft,
                                 signal.params.hop_length)
        if problem:
            fail(f"{signal.call()}: {problem}")


@pytest.mark.points(2)
@pytest.mark.number("2.2")
def test_values_sweep_and_noise(feature_run, signals, request):
    """Log-mel values match the reference (atol 1e-3) on a sine sweep and white noise"""
    _check_values(feature_run, signals, ("sweep", "noise"), request)


@pytest.mark.points(1)
@pytest.mark.number("2.3")
def test_silence_is_finite(feature_run, signals, request):
    """Silence gives finite values: log10(0 + 1e-10) = -10 in every band"""
    _check_values(feature_run, signals, ("silence",), request)


@pytest.mark.points(1)
@pytest.mark.number("2.4")
def test_values_real_clips(feature_run, signals, request):
    """Log-mel values match the reference on a speech clip and a music clip of the corpus"""
    _check_values(feature_run, signals, ("speech", "music"), request)


@pytest.mark.points(1)
@pytest.mark.number("2.5")
def test_uses_its_arguments(feature_run, signals, request):
    """sr, n_fft, hop_length and n_mels are used (16 kHz, n_fft 1024, hop 512, 64 mels)"""
    _check_values(feature_run, signals, ("custom",), request)


@pytest.mark.points(1)
@pytest.mark.number("2.6")
def test_returns_float32(feature_run, signals):
    """The features are float32 (the feature files store float32)"""
    for name in signals:
        try:
            got = _features(feature_run, signals, name)
        except AssertionError:
            continue  # no array: judged by 2.1-2.5
        if got.dtype != np.float32:
            fail(f"{signals[name].call()} returned an array of dtype {got.dtype}, expected float32: "
                 "end with .astype(np.float32)")
