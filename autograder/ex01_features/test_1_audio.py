"""1. get_audio_file_data: mono float32 audio at the requested rate, from grader-made files."""

import pytest
from feature_checks import check_audio

from kit.grading.pytest_plugin import note, require

SR = 22050


def _check_file(feature_run, audio_files, index, request):
    response = require(feature_run, "reading audio files with get_audio_file_data")
    folder, files = audio_files
    audio_file = files[index]
    report = response["files"][index]
    what = f"get_audio_file_data({report['path']!r}) on {audio_file.description}"
    remark = check_audio(what, report, feature_run.arrays, audio_file.expected, SR,
                         file_channels=audio_file.channels, file_rate=audio_file.rate)
    if remark:
        note(request, remark)


@pytest.mark.points(1)
@pytest.mark.number("1.1")
def test_reads_mono_file(feature_run, audio_files, request):
    """A mono 22050 Hz file gives (audio, sr): 1-D float32 samples and sr=22050"""
    _check_file(feature_run, audio_files, 0, request)


@pytest.mark.points(1)
@pytest.mark.number("1.2")
def test_mixes_stereo_down(feature_run, audio_files, request):
    """A stereo file is mixed down to mono (the average of its channels)"""
    _check_file(feature_run, audio_files, 1, request)


@pytest.mark.points(2)
@pytest.mark.number("1.3")
def test_resamples_44100(feature_run, audio_files, request):
    """A 44.1 kHz file is resampled to 22050 Hz"""
    _check_file(feature_run, audio_files, 2, request)
