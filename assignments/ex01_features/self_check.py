"""Public self-checks for the feature-extraction exercise.

Run from this folder:

    python self_check.py

It finds your ``feature_extraction_<yourname>.py`` next to this file and runs a few quick
checks on audio it makes itself (a few seconds). Passing them does not guarantee full marks:
the graders compare your values with the course's reference features on more audio.
"""

import importlib.util
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # keep the folder clean: no __pycache__ next to your files
HERE = Path(__file__).resolve().parent

try:
    import numpy as np
    import soundfile
except ImportError:  # pragma: no cover - depends on the student's set-up
    print("numpy or soundfile is not installed: run  pip install -r requirements.txt")
    sys.exit(2)

SR = 22050


class CheckFailed(AssertionError):
    """A check's assertion, with a got/expected message."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def find_file() -> Path:
    found = sorted(p for p in HERE.glob("feature_extraction_*.py") if p.is_file())
    if not found:
        raise CheckFailed(f"no file matching feature_extraction_*.py in {HERE}; name yours like feature_extraction_maria.py")
    if len(found) > 1:
        raise CheckFailed(f"found {len(found)} files matching feature_extraction_*.py "
                          f"({', '.join(p.name for p in found)}); keep exactly one")
    return found[0]


def import_file(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    start = time.perf_counter()
    spec.loader.exec_module(module)
    if time.perf_counter() - start > 5:
        print(f"  note: importing {path.name} took {time.perf_counter() - start:.0f} s; does it run at import time?")
    return module


def attribute(module, name: str):
    expect(hasattr(module, name), f"{module.__name__}.py has no {name!r}")
    return getattr(module, name)


def noise(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


# --- the checks ----------------------------------------------------------------------------

def check_audio(module, tmp: Path) -> None:
    get_audio_file_data = attribute(module, "get_audio_file_data")
    path = tmp / "stereo_44100.wav"
    t = np.arange(44100) / 44100
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 880 * t)], axis=1)
    soundfile.write(path, stereo, 44100)
    result = get_audio_file_data(str(path))
    expect(isinstance(result, tuple) and len(result) == 2,
           f"get_audio_file_data returned {type(result).__name__}, expected a tuple (audio, sr)")
    audio, sr = result
    expect(isinstance(audio, np.ndarray), f"audio is a {type(audio).__name__}, expected a numpy array")
    expect(audio.ndim == 1, f"a 1 s stereo 44.1 kHz file gave audio of shape {audio.shape}, expected ({SR},): mix down to mono")
    expect(sr == SR, f"a 44.1 kHz file gave sr={sr}, expected {SR}: resample to the sr argument")
    expect(abs(len(audio) - SR) <= 2, f"a 1 s file gave {len(audio)} samples, expected {SR}")
    expect(audio.dtype == np.float32, f"audio has dtype {audio.dtype}, expected float32")


def check_shape(module, tmp: Path) -> None:
    extract = attribute(module, "extract_mel_band_energies")
    audio = noise(2.0)
    features = extract(audio)
    frames = 1 + len(audio) // 1024
    expect(isinstance(features, np.ndarray), f"got {type(features).__name__}, expected a numpy array")
    if features.shape == (40, frames):
        raise CheckFailed(f"got shape {features.shape}, expected ({frames}, 40): time x mel, transpose it")
    if features.shape == (1 + (len(audio) - 2048) // 1024, 40):
        raise CheckFailed(f"got shape {features.shape}, expected ({frames}, 40): use center=True")
    expect(features.shape == (frames, 40),
           f"{len(audio)} samples gave shape {features.shape}, expected ({frames}, 40) = (1 + len // hop_length, n_mels)")
    expect(features.dtype == np.float32, f"got dtype {features.dtype}, expected float32")
    expect(bool(np.all(np.isfinite(features))), "got NaN or inf values on white noise")
    quiet = np.asarray(extract(noise(1.0) * 0.1))  # energies well below 1: their log10 is negative
    expect(float(quiet.max()) < 0,
           f"quiet noise gave values in [{quiet.min():.3g}, {quiet.max():.3g}], expected negative log10 values: "
           "looks like mel energies without the log")
    other = extract(noise(1.0, 16000), sr=16000, n_fft=1024, hop_length=512, n_mels=64)
    expect(getattr(other, "shape", None) == (1 + 16000 // 512, 64),
           f"sr=16000, n_fft=1024, hop_length=512, n_mels=64 on 1 s gave shape {getattr(other, 'shape', None)}, "
           f"expected ({1 + 16000 // 512}, 64): use the arguments")


def check_silence(module, tmp: Path) -> None:
    extract = attribute(module, "extract_mel_band_energies")
    features = np.asarray(extract(np.zeros(SR, dtype=np.float32)))
    expect(bool(np.all(np.isfinite(features))), "silence gave -inf or NaN: add a small floor before the log, log10(mel + 1e-10)")
    expect(bool(np.allclose(features, -10.0, atol=1e-3)),
           f"silence gave values in [{features.min():.4g}, {features.max():.4g}], expected -10 = log10(0 + 1e-10)")


def check_round_trip(module, tmp: Path) -> None:
    serialize = attribute(module, "serialize_features_and_classes")
    load = attribute(module, "load_features_and_class")
    features = np.random.default_rng(1).uniform(-10, 2, size=(7, 40)).astype(np.float32)
    path = tmp / "files" / "clip.npz"
    serialize(str(path), features, 1)
    written = sorted(p.name for p in (tmp / "files").glob("*")) if (tmp / "files").is_dir() else []
    expect(path.is_file(), f"serialize_features_and_classes('.../clip.npz', ...) wrote {written or 'nothing'}, expected clip.npz")
    try:
        with np.load(str(path), allow_pickle=False) as data:
            names = sorted(data.files)
            expect({"features", "label"} <= set(names), f"the file holds {names}, expected 'features' and 'label'")
            expect(data["features"].dtype == np.float32, f"'features' has dtype {data['features'].dtype}, expected float32")
            expect(data["label"].shape == () and data["label"].dtype == np.int64,
                   f"'label' is {data['label'].dtype} of shape {data['label'].shape}, expected an int64 scalar")
    except ValueError as error:
        raise CheckFailed(f"np.load(path, allow_pickle=False) cannot read your file ({error}): write it with np.savez, no pickle")
    result = load(str(path))
    expect(isinstance(result, tuple) and len(result) == 2, f"load_features_and_class returned {type(result).__name__}, expected (features, label)")
    expect(np.array_equal(np.asarray(result[0]), features), "load_features_and_class did not give back the same features")
    expect(result[1] == 1 and isinstance(result[1], int), f"load_features_and_class gave label {result[1]!r}, expected the int 1")


def check_dataset(module, tmp: Path) -> None:
    extract_dataset_features = attribute(module, "extract_dataset_features")
    root = tmp / "dataset"
    (root / "audio").mkdir(parents=True)
    soundfile.write(root / "audio" / "one.flac", noise(1.2, seed=2), SR)
    soundfile.write(root / "audio" / "two.flac", noise(0.7, seed=3), SR)
    manifest = {
        "schema_version": 1,
        "dataset": {"id": "self_check", "title": "two clips", "source": "self_check.py", "licence": "none",
                    "sample_rate": SR, "labels": ["speech", "music"],
                    "audio": {"container": "FLAC", "sample_rate": SR, "channels": 1, "nominal_duration": 1.0}},
        "clips": [{"path": "audio/one.flac", "label": "music", "split": "train", "duration": 1.2},
                  {"path": "audio/two.flac", "label": "speech", "split": "test", "duration": 0.7}],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    out = tmp / "features"
    count = extract_dataset_features(str(root), str(tmp / "manifest.json"), str(out))
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) if out.is_dir() else []
    expect(written == ["testing/two.npz", "training/one.npz"],
           f"wrote {written or 'nothing'}, expected ['testing/two.npz', 'training/one.npz']")
    expect(count == 2, f"returned {count!r}, expected 2 (the number of files written)")
    for name, label in (("training/one.npz", 1), ("testing/two.npz", 0)):
        with np.load(out / name, allow_pickle=False) as data:
            expect(int(data["label"]) == label, f"{name}: label {int(data['label'])}, expected {label}")
            expect(data["features"].shape != (40, 1 + SR // 1024),
                   f"{name}: features of shape {data['features'].shape}, expected ({1 + SR // 1024}, 40): time x mel")
            expect(data["features"].shape == (1 + SR // 1024, 40),
                   f"{name}: features of shape {data['features'].shape}, expected ({1 + SR // 1024}, 40): "
                   "pad or crop every clip to nominal_duration (1 s here)")


# --- running -------------------------------------------------------------------------------

def run_check(name: str, function, module) -> bool:
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="self-check-") as tmp:
            function(module, Path(tmp))
    except CheckFailed as failure:
        print(f"FAIL  {name}\n      {failure}")
        return False
    except NotImplementedError as error:
        print(f"FAIL  {name}\n      {error or 'NotImplementedError'}")
        return False
    except Exception as error:  # show the student's own traceback, shortened
        print(f"FAIL  {name}\n      {type(error).__name__}: {error}")
        frames = traceback.extract_tb(error.__traceback__)
        yours = [f for f in frames if Path(f.filename).resolve().parent == HERE and Path(f.filename).name != Path(__file__).name]
        for frame in (yours or frames)[-3:]:
            print(f"        {Path(frame.filename).name}:{frame.lineno} in {frame.name}: {frame.line}")
        return False
    print(f"PASS  {name}  ({time.perf_counter() - start:.1f} s)")
    return True


def main() -> int:
    print(f"self-checks in {HERE}")
    try:
        path = find_file()
    except CheckFailed as failure:
        print(f"ERROR {failure}")
        return 1
    print(f"using {path.name}")
    if path.stem.endswith("_student"):
        print("  note: rename the file to your own name before you submit it")
    try:
        module = import_file(path)
    except SystemExit as stop:
        print(f"ERROR importing {path.name} called exit({stop.code}); put your script under  if __name__ == \"__main__\":")
        return 1
    except Exception as error:
        print(f"ERROR cannot import {path.name}: {type(error).__name__}: {error}")
        return 1
    checks = [
        ("get_audio_file_data mixes down and resamples a stereo 44.1 kHz file", check_audio),
        ("extract_mel_band_energies returns (T, n_mels) float32 log values", check_shape),
        ("silence gives finite values (-10)", check_silence),
        ("a feature file round trip (.npz, no pickle)", check_round_trip),
        ("extract_dataset_features on a two-clip dataset", check_dataset),
    ]
    results = [run_check(name, function, module) for name, function in checks]
    passed = sum(results)
    print(f"\n{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
