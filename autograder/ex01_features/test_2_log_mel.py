"""2. extract_mel_band_energies against the kit's reference features on grader-chosen audio.

The reference is ``kit.data.features.log_mel`` (librosa mel power spectrogram, center=True,
log10(mel + 1e-10), time x mel), computed on the trusted side. Shape and layout are graded
once, in 2.1; the value tests compare after undoing a transposed layout or center=False, so
one mistake costs its points once.
"""

import dataclasses

import numpy as np
import pytest
from probe_schemas import AudioFeaturesResponse
from feature_checks import check_features, implied_hop, layout_problem, shape_text

from kit.grader import GradingFailure, Scenarios, describe_failure, fail, note, require


def _features(feature_run, signals, name):
    """The student's array for signal ``name`` (fails with the student's error if there is none)."""
    response = require(feature_run, "running extract_mel_band_energies", schema=AudioFeaturesResponse)
    index = list(signals).index(name)
    report = response["signals"][index]
    signal = signals[name]
    if "missing" in report:
        fail(f"feature_extraction_<name>.py defines no function {report['missing']}")
    if "failure" in report:
        hint = ""
        if "array(" in str(report["failure"].get("message", "")) or "Invalid file" in str(report["failure"].get("message", "")):
            hint = ("\nextract_mel_band_energies receives the audio itself, a NumPy array of samples (what "
                    "get_audio_file_data returns), not a file path: compute the mel spectrogram of that array "
                    "(librosa.feature.melspectrogram(y=audio, sr=sr, ...)), without loading a file.")
        fail(describe_failure(report["failure"], doing=signal.call()) + hint)
    got = feature_run.arrays.get(report.get("array", ""))
    if got is None:
        fail(f"{signal.call()} returned {report.get('returned')}, expected a float32 numpy array "
             f"of shape {shape_text(signal.expected.shape)}")
    return got


@pytest.mark.points(2)
@pytest.mark.handout("`extract_mel_band_energies` returns shape (T, 40), time x mel, T = 1 + len(audio) // hop_length")
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


VALUE_SIGNALS = ("sweep", "noise", "speech", "music")


def _value_problem(feature_run, signals, name, log_mel=None):
    """Why the values for one signal are wrong (the feedback), or None when they are right.

    Values are compared after undoing what the shape test (2.1) charges: a transposed layout,
    center=False, and, given ``log_mel``, a hop length fixed in the code (compared with the
    reference at the hop its frame count shows; 2.1 and 2.4 charge the hop)."""
    signal = signals[name]
    try:
        got = _features(feature_run, signals, name)
    except GradingFailure as failure:
        return str(failure)
    try:
        check_features(signal.call(), got, signal.expected, len(signal.audio), signal.params.n_fft,
                       signal.params.hop_length, strict_layout=False)
        return None
    except GradingFailure as failure:
        fixed = _fixed_hop(signal, got) if log_mel is not None else None
        if fixed is None:
            return str(failure)
    expected = log_mel(signal.audio, dataclasses.replace(signal.params, hop_length=fixed))
    try:
        check_features(f"{signal.call()} (compared at hop_length={fixed}, the hop its frame count shows)", got,
                       expected, len(signal.audio), signal.params.n_fft, fixed, strict_layout=False)
    except GradingFailure as failure:
        return str(failure)
    return None


def _fixed_hop(signal, got):
    """The common hop length ``got``'s frame count shows (in either layout), other than the one asked for."""
    mels = signal.params.n_mels
    if got.ndim != 2 or mels not in got.shape:
        return None
    frames = got.shape[1] if got.shape[0] == mels else got.shape[0]
    return implied_hop(frames, len(signal.audio), signal.params.hop_length)


@pytest.mark.points(3)
@pytest.mark.handout("values on a sine sweep, white noise and real speech and music clips (share of signals right)")
@pytest.mark.number("2.2")
def test_values(feature_run, signals, reference_log_mel):
    """Log-mel values match the reference (atol 1e-3) on a sine sweep, white noise and real speech and music"""
    scenarios = Scenarios("signals")
    for name in VALUE_SIGNALS:
        with scenarios.scenario(name):
            problem = _value_problem(feature_run, signals, name, reference_log_mel)
            if problem:
                fail(problem)
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("silence gives finite values (the 1e-10 floor), not -inf")
@pytest.mark.number("2.3")
def test_silence_is_finite(feature_run, signals, request):
    """Silence gives finite values (log10(0 + 1e-10) = -10), not -inf or NaN"""
    signal = signals["silence"]
    got = _features(feature_run, signals, "silence")
    if got.dtype.kind == "f" and got.size and np.all(got == 0):
        note(request, f"{signal.call()} gave 0 everywhere: finite, but log10(0 + 1e-10) is -10; the values "
                      "look like energies without the log, which 2.2 charges")
    if got.dtype.kind != "f":
        fail(f"{signal.call()}: got an array of dtype {got.dtype}, expected float32")
    bad = ~np.isfinite(got)
    if bad.any():
        kind = "NaN" if np.isnan(got[bad]).any() else "-inf"
        fail(f"{signal.call()}: got {int(bad.sum())} non-finite values ({kind}) of {got.size}, expected finite values: "
             "log10 of a zero energy is -inf; add a small floor before the log, log10(mel + 1e-10) (silence then gives -10)")


@pytest.mark.points(1)
@pytest.mark.handout("other `sr`, `n_fft`, `hop_length` and `n_mels` are used")
@pytest.mark.number("2.4")
def test_uses_its_arguments(feature_run, signals):
    """sr, n_fft, hop_length and n_mels are used (16 kHz, n_fft 1024, hop 256, 64 mels)"""
    signal = signals["custom"]
    got = _features(feature_run, signals, "custom")
    values_right = all(_value_problem(feature_run, signals, name) is None for name in VALUE_SIGNALS)
    if values_right:
        check_features(signal.call(), got, signal.expected, len(signal.audio), signal.params.n_fft,
                       signal.params.hop_length, strict_layout=False)
        return
    # The values are wrong everywhere (2.2's deduction): judge what the arguments decide, the shape.
    frames, mels = signal.expected.shape
    if got.ndim != 2 or sorted(got.shape) != sorted((frames, mels)):
        fail(f"{signal.call()}: got shape {shape_text(got.shape)}, expected {shape_text(signal.expected.shape)}: "
             "hop_length decides T and n_mels the number of bands; pass the arguments on to librosa")


@pytest.mark.points(1)
@pytest.mark.handout("the features are float32")
@pytest.mark.number("2.5")
def test_returns_float32(feature_run, signals):
    """The features are float32 (the feature files store float32)"""
    judged, first_problem = 0, None
    for name in signals:
        try:
            got = _features(feature_run, signals, name)
        except GradingFailure as problem:
            first_problem = first_problem or str(problem)
            continue  # no array: judged by 2.1-2.4
        judged += 1
        if got.dtype != np.float32:
            fail(f"{signals[name].call()} returned an array of dtype {got.dtype}, expected float32: "
                 "end with .astype(np.float32)")
    if not judged:
        fail(f"{first_problem}\n(no array came back, so its dtype could not be checked)")
