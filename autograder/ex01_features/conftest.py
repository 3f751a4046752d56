"""Fixtures shared by the ex01 hidden graders (trusted side).

The grader chooses the audio: synthetic signals (a sweep, white noise, silence), clips of the
embedded corpus, a stereo file and a 44.1 kHz file, and a small dataset with its manifest.
Expected values are computed here with the kit's own feature code (``kit.data.features``),
never inside the sandbox. Each probe runs once per submission and serves several tests.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kit.data import features
from kit.data.feature_files import write_feature_file
from kit.data.features import FeatureParams, fit_length
from kit.data.manifest import SPLIT_FOLDERS, parse_manifest
from kit.grading.config import REPO
from kit.grader import GradingContext, memoized

CORPUS = REPO / "data_manifests" / "embedded"
SR = 22050
DEFAULT = FeatureParams()
# hop 256: not the value a student fixes most (512, 1024), so a fixed hop shows here; and n_fft
# a multiple of 2 x hop, so that center=False frames line up with center=True ones (2.1 charges it).
CUSTOM = FeatureParams(sample_rate=16000, n_fft=1024, hop_length=256, n_mels=64)


# What the reference computations read and call: a new version of any of them computes the
# expected values again instead of reading them from the trusted cache.
LIBRARIES = ("librosa", "numpy", "scipy", "soundfile", "soxr", "numba", "torchaudio")


def load_audio(path: Path, sr: int) -> np.ndarray:
    """kit.data.features.load_audio, computed once per file content and rate (ground_truth.memoized)."""
    return memoized(features.load_audio, Path(path), sr, libraries=LIBRARIES)


def log_mel(audio: np.ndarray, params: FeatureParams) -> np.ndarray:
    return memoized(features.log_mel, audio, params, libraries=LIBRARIES)


def clip_features(path: Path, params: FeatureParams) -> np.ndarray:
    return memoized(features.clip_features, Path(path), params, libraries=LIBRARIES)


def sweep(sr: int, seconds: float, f0: float = 60.0, f1: float = 9000.0) -> np.ndarray:
    """A logarithmic sine sweep from f0 to f1 Hz, amplitude 0.5."""
    t = np.arange(int(round(sr * seconds))) / sr
    rate = np.log(f1 / f0) / seconds
    return (0.5 * np.sin(2 * np.pi * f0 * (np.exp(rate * t) - 1) / rate)).astype(np.float32)


def tones(sr: int, seconds: float, freqs=(440.0, 3000.0, 15000.0)) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    return (sum(0.2 * np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.float32)


@dataclass(frozen=True)
class Signal:
    name: str
    audio: np.ndarray
    params: FeatureParams
    kwargs: dict
    description: str

    @property
    def expected(self) -> np.ndarray:
        return log_mel(self.audio, self.params)

    def call(self) -> str:
        args = "".join(f", {k}={v}" for k, v in self.kwargs.items())
        return f"extract_mel_band_energies(<{self.description}>{args})"


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ex01")


@pytest.fixture(scope="session")
def rng(grading: GradingContext):
    return np.random.default_rng(grading.settings("signals")["seed"])


@pytest.fixture(scope="session")
def signals(grading: GradingContext, rng) -> dict[str, Signal]:
    """Grader-chosen mono signals and the parameters to extract them with."""
    settings = grading.settings("signals")
    noise = (0.1 * rng.standard_normal(2 * SR + 333)).astype(np.float32)
    custom = sweep(16000, 1.5, f1=7000.0) + (0.05 * rng.standard_normal(24000)).astype(np.float32)
    items = [
        Signal("sweep", sweep(SR, 3.0), DEFAULT, {}, "a 3 s sine sweep 60 Hz-9 kHz at 22050 Hz"),
        Signal("noise", noise, DEFAULT, {}, f"{len(noise)} samples of white noise at 22050 Hz"),
        Signal("silence", np.zeros(2 * SR - 77, dtype=np.float32), DEFAULT, {}, "2 s of silence (zeros)"),
        Signal("speech", load_audio(CORPUS / settings["speech_clip"], SR), DEFAULT, {},
               f"the speech clip {settings['speech_clip']} of the embedded corpus"),
        Signal("music", load_audio(CORPUS / settings["music_clip"], SR), DEFAULT, {},
               f"the music clip {settings['music_clip']} of the embedded corpus"),
        Signal("custom", custom.astype(np.float32), CUSTOM,
               {"sr": 16000, "n_fft": 1024, "hop_length": 256, "n_mels": 64}, "1.5 s of sweep and noise at 16 kHz"),
    ]
    return {signal.name: signal for signal in items}


@dataclass(frozen=True)
class AudioFile:
    name: str
    channels: int
    rate: int
    expected: np.ndarray  # what kit.data.features.load_audio makes of it at ``sr`` Hz
    description: str
    sr: int | None = None  # the sr argument passed (None: the default, 22050)

    @property
    def target_rate(self) -> int:
        return self.sr or SR


@pytest.fixture(scope="session")
def audio_files(workdir, rng) -> tuple[Path, list[AudioFile]]:
    """A corpus clip (mono, 22050 Hz), a stereo 22050 Hz file and a mono 44.1 kHz file."""
    folder = workdir / "audio"
    folder.mkdir()
    shutil.copyfile(CORPUS / "speech" / "s_001.flac", folder / "speech_mono_22050.flac")
    left, right = sweep(SR, 2.0), (0.1 * rng.standard_normal(2 * SR)).astype(np.float32)
    soundfile.write(folder / "stereo_22050.wav", np.stack([left, right], axis=1), SR, subtype="PCM_16")
    # A 15 kHz tone above the new Nyquist frequency: dropping every other sample aliases it.
    high = tones(44100, 2.0) + (0.02 * rng.standard_normal(2 * 44100)).astype(np.float32)
    soundfile.write(folder / "mono_44100.wav", high, 44100, subtype="PCM_16")
    files = [
        AudioFile("speech_mono_22050.flac", 1, SR, np.empty(0), "a mono 22050 Hz FLAC clip"),
        AudioFile("stereo_22050.wav", 2, SR, np.empty(0), "a stereo 22050 Hz WAV file (different channels)"),
        AudioFile("mono_44100.wav", 1, 44100, np.empty(0), "a mono 44100 Hz WAV file"),
        AudioFile("mono_44100.wav", 1, 44100, np.empty(0), "a mono 44100 Hz WAV file, asked for 16000 Hz", sr=16000),
    ]
    files = [AudioFile(f.name, f.channels, f.rate, load_audio(folder / f.name, f.target_rate), f.description, f.sr)
             for f in files]
    return folder, files


@pytest.fixture(scope="session")
def reference_audio():
    """``load_audio(path, sr)``: the kit's reading of a file at any rate (trusted, memoized), for a
    loader that returned another rate than the one asked for (1.3's deduction): 1.1 and 1.2 then
    judge its samples at the rate it returned."""
    return load_audio


@pytest.fixture(scope="session")
def reference_log_mel():
    """``log_mel(audio, params)`` (trusted, memoized): 2.2 compares the values of an extractor that
    fixed its hop length (2.1 and 2.4 charge that) with the reference at that hop."""
    return log_mel


@pytest.fixture(scope="session")
def feature_run(grading: GradingContext, signals, audio_files):
    """One sandboxed run: get_audio_file_data on every file, extract_mel_band_energies on every signal."""
    folder, files = audio_files
    request = {
        "files": [{"name": f.name, "sr": f.sr} for f in files],
        "signals": [{"name": s.name, "kwargs": s.kwargs} for s in signals.values()],
    }
    inputs = {s.name: s.audio for s in signals.values()}
    return grading.probe("audio_features", request, inputs=inputs, folders={"audio": folder})


def librosa_free_resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear interpolation to another rate (the test signal only has to exist at that rate)."""
    n = int(round(len(audio) * target / rate))
    return np.interp(np.arange(n) * rate / target, np.arange(len(audio)), audio).astype(np.float32)


@dataclass(frozen=True)
class SerializationCase:
    name: str
    features: np.ndarray
    label: int
    given_name: str
    given_features: np.ndarray
    given_label: int


@pytest.fixture(scope="session")
def serialization(grading: GradingContext, workdir, rng):
    """One sandboxed run of the serializer (on grader features) and of the reader (on a grader file)."""
    case = SerializationCase(
        name="clip_a.npz",
        features=rng.uniform(-10.0, 2.0, size=(37, 40)).astype(np.float32),
        label=1,
        given_name="clip_b.npz",
        given_features=rng.uniform(-10.0, 2.0, size=(29, 40)).astype(np.float32),
        given_label=0,
    )
    given = workdir / "given"
    write_feature_file(given / case.given_name, case.given_features, case.given_label)
    # The same, with the label as a pickled object (np.savez pickles object arrays).
    np.savez(given / "clip_pickled.npz", features=case.given_features, label=np.array(1, dtype=object))
    request = {"name": case.name, "label": case.label, "given": case.given_name, "given_pickled": "clip_pickled.npz"}
    # The features arrive as float64 (values a float32 holds exactly): the file stores float32
    # whatever it is given, so a serializer that writes them as given is told apart (3.2).
    result = grading.probe("serialization", request, inputs={"features": case.features.astype(np.float64)},
                           folders={"given": given})
    return case, result


@dataclass(frozen=True)
class DatasetClip:
    stem: str
    path: str
    label: str
    split: str
    expected: np.ndarray  # reference features, padded/cropped to the nominal duration
    rate: int = SR  # the file's own sample rate

    @property
    def output(self) -> str:
        return f"{SPLIT_FOLDERS[self.split]}/{self.stem}.npz"


@pytest.fixture(scope="session")
def dataset(grading: GradingContext, workdir, rng):
    """A six-clip dataset (two corpus clips, four synthetic ones of other lengths) and its manifest.

    Clip folders do not tell the class: the label must come from the manifest.
    """
    nominal = float(grading.settings("dataset")["nominal_duration"])
    root, manifests = workdir / "dataset", workdir / "manifests"
    burst = np.zeros(2 * SR, dtype=np.float32)
    burst[SR // 2: SR] = 0.3 * rng.standard_normal(SR // 2)
    synthetic = {
        "clips/clip_c.flac": sweep(SR, nominal),
        "more/clip_d.flac": (0.1 * rng.standard_normal(int(1.7 * SR))).astype(np.float32),
        "clips/clip_e.flac": tones(SR, nominal + 0.4, (220.0, 330.0, 440.0)),
        "more/clip_f.flac": burst,
    }
    rates = {"clips/clip_e.flac": 44100}  # one clip at another rate: it must be resampled too
    for path, audio in synthetic.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        rate = rates.get(path, SR)
        if rate != SR:
            audio = librosa_free_resample(audio, SR, rate)
        soundfile.write(root / path, audio, rate, subtype="PCM_16")
    for source, path in (("speech/s_002.flac", "clips/clip_a.flac"), ("music/m_003.flac", "clips/clip_b.flac")):
        shutil.copyfile(CORPUS / source, root / path)
    table = [("clips/clip_a.flac", "speech", "train"), ("clips/clip_b.flac", "music", "val"),
             ("clips/clip_c.flac", "music", "train"), ("more/clip_d.flac", "speech", "test"),
             ("clips/clip_e.flac", "music", "train"), ("more/clip_f.flac", "speech", "val")]
    document = {
        "schema_version": 1,
        "dataset": {
            "id": "grader_tiny", "title": "A tiny grader-made dataset", "source": "the ex01 grader",
            # Not the kit's order (speech, music): the label is the index in *this* list.
            "licence": "see the embedded corpus", "sample_rate": SR, "labels": ["music", "speech"],
            "audio": {"container": "FLAC", "sample_rate": SR, "channels": 1, "bit_depth": 16,
                      "nominal_duration": nominal, "duration_tolerance": 3.5},
        },
        "clips": [
            {"path": path, "label": label, "split": split,
             "duration": round(soundfile.info(str(root / path)).duration, 3)}
            for path, label, split in table
        ],
    }
    manifest = parse_manifest(document, "grader dataset")
    manifests.mkdir()
    (manifests / "tiny.json").write_text(json.dumps(document, indent=1))
    params = FeatureParams(duration=nominal)
    clips = [DatasetClip(Path(c.path).stem, c.path, c.label, c.split, clip_features(root / c.path, params),
                         soundfile.info(str(root / c.path)).samplerate)
             for c in manifest.clips]
    # Each clip's audio as it should be read and padded: the probe also runs the student's own
    # extract_mel_band_energies on it, so that 4.3 judges the dataset code, not the extractor (2.x).
    inputs = {f"clip_{i}": fit_length(load_audio(root / c.path, SR), params.n_samples) for i, c in enumerate(manifest.clips)}
    request = {"dataset_dir": "dataset", "manifest": "manifests/tiny.json", "output_dir": "features_out",
               "clips": [f"clip_{i}" for i in range(len(manifest.clips))], "self_check_clip": "clips/clip_e.flac"}
    result = grading.probe("dataset", request, inputs=inputs, folders={"dataset": root, "manifests": manifests})
    return manifest, clips, result
