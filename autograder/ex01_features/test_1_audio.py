"""1. get_audio_file_data: mono float32 audio at the requested rate, from grader-made files.

1.1-1.3 judge the samples and the rate (1.3: resampling, by default and to the sr argument);
1.4 judges the types of what every call returned, so a float64 array costs one deduction.
"""

import pytest
from probe_schemas import AudioFeaturesResponse
from feature_checks import check_audio

from kit.grader import Scenarios, fail, note, require

# Rates a loader may plausibly return instead of the one asked for (a fixed 44100, a file's own).
MIN_RATE, MAX_RATE = 8000, 192000


def _what(report, audio_file):
    argument = f", sr={audio_file.sr}" if audio_file.sr else ""
    return f"get_audio_file_data({report['path']!r}{argument}) on {audio_file.description}"


def _check_file(feature_run, audio_files, index, request, reference_audio=None):
    """Judge one call; with ``reference_audio``, a call that returned another rate than the one
    asked for is judged at the rate it returned (the rate itself is 1.3's to charge)."""
    response = require(feature_run, "reading audio files with get_audio_file_data", schema=AudioFeaturesResponse)
    folder, files = audio_files
    audio_file = files[index]
    report = response["files"][index]
    expected, rate, remark = audio_file.expected, audio_file.target_rate, None
    returned = report.get("sr")
    if (reference_audio is not None and isinstance(returned, int) and not isinstance(returned, bool)
            and returned != rate and MIN_RATE <= returned <= MAX_RATE):
        expected, rate = reference_audio(folder / audio_file.name, returned), returned
        remark = (f"{_what(report, audio_file)} returned sr={returned}, not {audio_file.target_rate}: the rate is "
                  f"judged by 1.3 alone, so here the samples were compared with the file read at {returned} Hz")
    rates = {f.get("sr") for f in response["files"] if isinstance(f.get("sr"), (int, float))}
    # One rate for a 22050 Hz file read at 22050 and a 44.1 kHz file read at 16000: a fixed one.
    fixed = len(rates) == 1 and len(response["files"]) == len(files) and all("sr" in f for f in response["files"])
    remark = check_audio(_what(report, audio_file), report, feature_run.arrays, expected, rate,
                         file_channels=audio_file.channels, file_rate=audio_file.rate,
                         charges_return=index == 0, fixed_rate=fixed) or remark
    if remark:
        note(request, remark)


@pytest.mark.points(1)
@pytest.mark.handout("`get_audio_file_data` on a mono 22050 Hz file: `(audio, sr)` with the file's samples as a 1-D array")
@pytest.mark.number("1.1")
def test_reads_mono_file(feature_run, audio_files, request, reference_audio):
    """A mono 22050 Hz file gives (audio, sr) with the file's samples as a 1-D array"""
    _check_file(feature_run, audio_files, 0, request, reference_audio)


@pytest.mark.points(1)
@pytest.mark.handout("on a stereo file: the average of the channels")
@pytest.mark.number("1.2")
def test_mixes_stereo_down(feature_run, audio_files, request, reference_audio):
    """A stereo file is mixed down to mono (the average of its channels)"""
    _check_file(feature_run, audio_files, 1, request, reference_audio)


@pytest.mark.points(3)
@pytest.mark.handout("on a 44.1 kHz file: resampled to 22050 Hz by default, and to 16000 Hz with `sr=16000`")
@pytest.mark.number("1.3")
def test_resamples_to_the_rate_asked_for(feature_run, audio_files, request):
    """A 44.1 kHz file is resampled to 22050 Hz by default, and to 16000 Hz with sr=16000"""
    scenarios = Scenarios("calls")
    for index, label in ((2, "sr=22050 (default)"), (3, "sr=16000")):
        with scenarios.scenario(label):
            _check_file(feature_run, audio_files, index, request)
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("the audio is a float32 array and `sr` a Python int")
@pytest.mark.number("1.4")
def test_returns_float32_and_an_int_rate(feature_run, audio_files):
    """The audio is a float32 array and sr a Python int"""
    response = require(feature_run, "reading audio files with get_audio_file_data", schema=AudioFeaturesResponse)
    folder, files = audio_files
    scenarios = Scenarios("files")
    for report, audio_file in zip(response["files"], files):
        if "array" not in report:
            continue  # what it returned instead is judged by 1.1-1.3
        with scenarios.scenario(audio_file.description):
            what = _what(report, audio_file)
            if report.get("audio_dtype") != "float32":
                fail(f"{what} returned audio of dtype {report.get('audio_dtype')}, expected float32 "
                     "(audio.astype(np.float32))")
            if report.get("sr_type") != "int":
                fail(f"{what} returned sr of type {report.get('sr_type')}, expected a Python int")
    if not scenarios.passed and not scenarios.failed:
        fail("get_audio_file_data returned no audio array for any file (see 1.1)")
    scenarios.verdict()
