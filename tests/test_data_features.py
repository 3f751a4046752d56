"""Log-mel features: course parameters, shapes, padding, mono mixing, resampling, backends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kit.data.features import FeatureParams, load_audio, log_mel
from data_helpers import write_wav


@pytest.mark.parametrize("seconds, frames", [(5.0, 108), (30.0, 646)])
def test_frames_per_nominal_duration(seconds, frames):
    params = FeatureParams(duration=seconds)
    assert params.n_frames == frames
    audio = np.random.default_rng(0).standard_normal(22050 * 2).astype(np.float32)  # shorter: padded
    x = log_mel(audio, params)
    assert x.shape == (frames, 40) and x.dtype == np.float32
    assert np.allclose(x[-5:], -10.0)  # zero padding gives log10(0 + 1e-10)


def test_matches_librosa_with_course_parameters():
    import librosa

    audio = np.random.default_rng(1).standard_normal(22050).astype(np.float32)
    mel = librosa.feature.melspectrogram(y=audio, sr=22050, n_fft=2048, hop_length=1024, n_mels=40,
                                         center=True, power=2.0)
    np.testing.assert_allclose(log_mel(audio), np.log10(mel + 1e-10).T, rtol=1e-5, atol=1e-5)
    longer = np.concatenate([audio, audio])
    np.testing.assert_array_equal(log_mel(longer, FeatureParams(duration=1.0)), log_mel(audio))  # cropped


def test_load_audio_mixes_to_mono_and_resamples(tmp_path):
    stereo = write_wav(tmp_path / "stereo.wav", 1.0, channels=2)
    mono = write_wav(tmp_path / "mono.wav", 1.0)
    np.testing.assert_allclose(load_audio(stereo, 22050), load_audio(mono, 22050), atol=1e-4)
    fast = write_wav(tmp_path / "fast.wav", 1.0, sr=44100)
    y = load_audio(fast, 22050)
    assert y.dtype == np.float32 and y.ndim == 1 and abs(len(y) - 22050) <= 1


def test_params_are_frozen_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FeatureParams().n_mels = 64
    with pytest.raises(ValueError, match="mono"):
        log_mel(np.zeros((2, 100), np.float32))


def test_torchaudio_backend_agrees_with_librosa():
    pytest.importorskip("torchaudio", reason="torchaudio does not import here; the backend is optional")
    audio = np.random.default_rng(2).standard_normal(22050 * 5).astype(np.float32)
    a = log_mel(audio, FeatureParams(duration=5.0))
    b = log_mel(audio, FeatureParams(duration=5.0, backend="torchaudio"))
    assert b.shape == a.shape == (108, 40)
    np.testing.assert_allclose(b, a, atol=1e-3)
