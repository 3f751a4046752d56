"""40-band log-mel features with the course's parameters.

22050 Hz, n_fft 2048, hop 1024, 40 mel bands (librosa's Slaney mel scale and norm),
``center=True`` (zero padding, librosa's default), power spectrogram, ``log10(mel + 1e-10)``,
returned time x mel: shape (T, 40), float32. Audio is mixed to mono and resampled to 22050 Hz
by :func:`load_audio`; :func:`log_mel` pads with zeros or crops to ``params.duration`` so every
clip of a dataset has the same T (5 s -> 108 frames, 30 s -> 646).

librosa (and numpy) are imported inside the functions, not at module level: the warm path of
``make data`` only needs :class:`FeatureParams` and must not pay for librosa/scipy/numba
(about 3 s per process) or numpy.
The optional ``backend="torchaudio"`` computes the same spectrogram with torchaudio where it
imports (it does not on every machine).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

Backend = Literal["librosa", "torchaudio"]
# "log_mel": (T, n_mels) band energies; "waveform": the audio itself, (n_samples,), for a 1-D model.
Kind = Literal["log_mel", "waveform"]


@dataclass(frozen=True)
class FeatureParams:
    """Everything that determines a clip's features (part of the cache key).

    Also the schema of config.toml's ``[features.<name>]`` tables (kit/grading/config.py), where a
    misspelt key is an error, not a default (pydantic reads ``__pydantic_config__``)."""

    __pydantic_config__ = {"extra": "forbid"}

    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 1024
    n_mels: int = 40
    center: bool = True
    power: float = 2.0
    log_offset: float = 1e-10
    duration: float | None = None  # seconds to pad/crop to; None keeps each clip's length
    backend: Backend = "librosa"
    kind: Kind = "log_mel"

    @property
    def n_samples(self) -> int | None:
        return None if self.duration is None else int(round(self.duration * self.sample_rate))

    @property
    def n_frames(self) -> int | None:
        """T for a clip of ``duration`` seconds (None when the duration is not fixed)."""
        n = self.n_samples
        if n is None:
            return None
        return 1 + n // self.hop_length if self.center else 1 + (n - self.n_fft) // self.hop_length

    def as_dict(self) -> dict:
        return asdict(self)


def load_audio(path: str | Path, sr: int) -> np.ndarray:
    """Read an audio file as mono float32 at ``sr`` Hz (channels averaged, librosa resampling)."""
    import numpy as np

    import soundfile

    data, file_sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    audio = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if file_sr != sr:
        import librosa

        audio = librosa.resample(audio, orig_sr=file_sr, target_sr=sr)
    return np.ascontiguousarray(audio, dtype=np.float32)


def fit_length(audio: np.ndarray, n_samples: int | None) -> np.ndarray:
    """Zero-pad at the end or crop from the start to ``n_samples`` (None: unchanged)."""
    import numpy as np

    if n_samples is None or len(audio) == n_samples:
        return audio
    if len(audio) > n_samples:
        return audio[:n_samples]
    return np.concatenate([audio, np.zeros(n_samples - len(audio), dtype=audio.dtype)])


def log_mel(audio: np.ndarray, params: FeatureParams = FeatureParams()) -> np.ndarray:
    """Log-mel features of mono audio at ``params.sample_rate``: (T, n_mels) float32."""
    import numpy as np

    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"log_mel expects mono audio of shape (n,), got shape {audio.shape}")
    audio = fit_length(audio, params.n_samples)
    if params.backend == "librosa":
        mel = _librosa_mel(audio, params)
    elif params.backend == "torchaudio":
        mel = _torchaudio_mel(audio, params)
    else:
        raise ValueError(f"unknown feature backend {params.backend!r}")
    return np.log10(mel + params.log_offset).T.astype(np.float32)


def clip_features(path: str | Path, params: FeatureParams = FeatureParams()) -> np.ndarray:
    """Features of one audio file: ``log_mel(load_audio(path, params.sample_rate), params)``, or for
    ``kind="waveform"`` the audio itself padded or cropped to ``params.duration``."""
    audio = load_audio(path, params.sample_rate)
    if params.kind == "waveform":
        return fit_length(audio, params.n_samples)
    return log_mel(audio, params)


def torchaudio_available() -> bool:
    try:
        import torchaudio  # noqa: F401
    except Exception:  # not installed, or installed but broken against this torch
        return False
    return True


def _librosa_mel(audio: np.ndarray, p: FeatureParams) -> np.ndarray:
    import librosa

    return librosa.feature.melspectrogram(
        y=audio, sr=p.sample_rate, n_fft=p.n_fft, hop_length=p.hop_length, n_mels=p.n_mels,
        center=p.center, pad_mode="constant", power=p.power,
    )


def _torchaudio_mel(audio: np.ndarray, p: FeatureParams) -> np.ndarray:
    import torch
    import torchaudio

    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate=p.sample_rate, n_fft=p.n_fft, hop_length=p.hop_length, n_mels=p.n_mels,
        center=p.center, pad_mode="constant", power=p.power, norm="slaney", mel_scale="slaney",
    )
    with torch.no_grad():
        return transform(torch.from_numpy(audio)).double().numpy()
