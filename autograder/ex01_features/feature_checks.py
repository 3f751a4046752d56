"""Comparisons shared by the ex01 graders (trusted side): features, audio and feature files.

Every check ends in ``fail(message)`` with what the student's code gave and what was
expected, and names the usual mistake when it recognises it: features without the log,
a (n_mels, T) layout, ``center=False``, no floor before the log, a natural log or decibels,
a magnitude spectrogram, a missing mix-down or resampling, a pickle instead of an ``.npz``.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from kit.grader import check_dtype, check_shape, check_value, describe_failure, fail

ATOL = 1e-3  # on log10 band energies
LOG_FLOOR = 1e-10
AUDIO_RTOL = 0.02  # relative RMS error allowed on audio (resamplers differ slightly)
MAX_UNPACKED_BYTES = 64 << 20  # what an .npz written by a student may unpack to


def shape_text(shape) -> str:
    return "(" + ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "") + ")"


# --- log-mel features ------------------------------------------------------------------------

def frames_center_false(n_samples: int, n_fft: int, hop: int) -> int:
    return 1 + (n_samples - n_fft) // hop


def layout_problem(got: np.ndarray, expected: np.ndarray, n_samples: int, n_fft: int, hop: int) -> str | None:
    """Why ``got`` does not have ``expected``'s shape (T, n_mels), in words; None if it has."""
    if got.shape == expected.shape:
        return None
    frames, mels = expected.shape
    got_text, want = shape_text(got.shape), shape_text(expected.shape)
    uncentered = frames_center_false(n_samples, n_fft, hop)
    centering = (
        f"use center=True (librosa's default): it gives T = 1 + len(audio) // hop_length = {frames} frames for "
        f"{n_samples} samples, while center=False gives 1 + (len(audio) - n_fft) // hop_length = {uncentered}"
    )
    if got.ndim == 2 and got.shape == (mels, frames):
        return f"got {got_text}, expected {want}: the layout must be (T, n_mels), time x mel: transpose (mel.T)"
    if got.ndim == 2 and got.shape == (uncentered, mels):
        return f"got {got_text}, expected {want}: {centering}"
    if got.ndim == 2 and got.shape == (mels, uncentered):
        return (f"got {got_text}, expected {want}: transpose to (T, n_mels), time x mel (mel.T), and {centering}")
    if got.ndim == 2 and mels in got.shape and frames not in got.shape:
        transposed = got.shape[0] == mels and got.shape[1] != mels
        other = got.shape[1] if transposed else got.shape[0]
        layout = "the layout is mel x time: transpose to (T, n_mels) (mel.T); and " if transposed else ""
        return (f"got {got_text}, expected {want}: {layout}{other} frames instead of {frames} = 1 + len(audio) // "
                f"hop_length for {n_samples} samples at hop_length={hop}{_implied_hop(other, n_samples, hop)}")
    return f"got shape {got_text}, expected {want} = (T, n_mels)"


# Hop lengths a student may have written into the code instead of using the argument.
COMMON_HOPS = (128, 256, 441, 512, 1024, 2048, 4096)


def implied_hop(frames: int, n_samples: int, hop: int) -> int | None:
    """The common hop length other than ``hop`` that gives ``frames`` frames (center=True), if any:
    the usual cause of a wrong frame count is a hop length fixed in the code."""
    return next((candidate for candidate in COMMON_HOPS
                 if candidate != hop and frames == 1 + n_samples // candidate), None)


def _implied_hop(frames: int, n_samples: int, hop: int) -> str:
    candidate = implied_hop(frames, n_samples, hop)
    if candidate is None:
        return ""
    return f" (your {frames} frames are what hop_length={candidate} gives: use the hop_length argument)"


def missing_log_hint(got) -> str:
    """A sentence for feedback that stops at the shape when the values also lack the log."""
    try:
        values = np.asarray(got, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size and _no_log_range(finite):
            return (f"\nAlso, the values look like mel energies without the log (from {finite.min():.4g} to "
                    f"{finite.max():.4g}): return log10(mel + {LOG_FLOOR:g}).")
    except (TypeError, ValueError):
        pass
    return ""


def aligned(got: np.ndarray, expected: np.ndarray, n_samples: int, n_fft: int, hop: int):
    """``got`` and the part of ``expected`` it should equal, forgiving a transposed layout and
    ``center=False`` (both are graded by the shape test alone); None if shapes do not fit."""
    frames, mels = expected.shape
    if got.ndim == 2 and got.shape == (mels, frames) and got.shape != expected.shape:
        got = got.T
    if got.shape == expected.shape:
        return got, expected
    uncentered = frames_center_false(n_samples, n_fft, hop)
    if got.ndim == 2 and got.shape == (mels, uncentered):
        got = got.T
    if got.ndim == 2 and got.shape == (uncentered, mels) and uncentered > 0 and n_fft % (2 * hop) == 0:
        # center=False frame t covers what center=True frame t + n_fft / (2 hop) covers.
        offset = n_fft // (2 * hop)
        return got, expected[offset: offset + uncentered]
    return None


def value_problem(got: np.ndarray, expected: np.ndarray) -> str | None:
    """Why the (aligned) values differ, naming the usual mistakes; None if they match."""
    got = got.astype(np.float64)
    expected = expected.astype(np.float64)
    bad = ~np.isfinite(got)
    if bad.any():
        frame, band = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(got[frame, band]) else f"{got[frame, band]:g}"
        return (f"got {int(bad.sum())} non-finite values of {got.size} (e.g. {kind} at frame {frame}, band {band}), "
                f"expected {expected[frame, band]:.4f}: log10 of a zero energy (silence) is -inf: "
                f"add a small floor before the log, log10(mel + {LOG_FLOOR:g})")
    difference = np.abs(got - expected)
    if float(difference.max(initial=0.0)) <= ATOL:
        return None
    energies = 10.0 ** expected - LOG_FLOOR
    ranges = (f"got values in [{got.min():.4g}, {got.max():.4g}], expected log10 values in "
              f"[{expected.min():.4g}, {expected.max():.4g}]")
    if np.allclose(got, energies, rtol=0.02, atol=1e-8) or _no_log_range(got):
        return f"looks like mel energies without the log: {ranges}. Return log10(mel + {LOG_FLOOR:g})."
    audible = expected > -6.5  # entries the 1e-10 floor changes by less than ATOL
    if audible.any():
        if np.allclose(got[audible], expected[audible] * np.log(10.0), atol=0.01):
            return f"looks like the natural log (np.log): {ranges}. Use np.log10."
        if np.allclose(got[audible], 10.0 * expected[audible], atol=0.01) or _looks_like_db(got, expected):
            return (f"looks like decibels (10 * log10, e.g. librosa.power_to_db): {ranges}. "
                    f"Use log10(mel + {LOG_FLOOR:g}) without the factor 10 and without top_db.")
        if np.allclose(got[audible], expected[audible] / 2.0, atol=0.01):
            return f"looks like a magnitude spectrogram (power=1): {ranges}. Use the power spectrogram, power=2."
    quiet = ~audible
    if quiet.any() and np.all(difference[audible] <= ATOL):
        frame, band = np.unravel_index(int(np.argmax(difference)), difference.shape)
        return (f"values match except where the energy is (nearly) zero: got {got[frame, band]:.4f} at frame {frame}, "
                f"band {band}, expected {expected[frame, band]:.4f}: use the floor {LOG_FLOOR:g} before the log, "
                f"log10(mel + {LOG_FLOOR:g}) (silence then gives -10)")
    frame, band = np.unravel_index(int(np.argmax(difference)), difference.shape)
    share = float(np.mean(difference > ATOL))
    return (f"largest difference at frame {frame}, band {band}: got {got[frame, band]:.4f}, expected "
            f"{expected[frame, band]:.4f} ({share:.0%} of the values differ by more than {ATOL:g}); {ranges}")


def _no_log_range(got: np.ndarray) -> bool:
    """Energies rather than logs: nothing negative, and a dynamic range logs never have."""
    positive = got[got > 0]
    return bool(got.min() >= 0 and positive.size and got.max() / max(np.percentile(positive, 5), 1e-30) > 1e4)


def _looks_like_db(got: np.ndarray, expected: np.ndarray) -> bool:
    db = 10.0 * expected
    return bool(np.allclose(got, np.maximum(db, db.max() - 80.0), atol=0.05)
                or np.allclose(got - got.max(), np.maximum(db - db.max(), -80.0), atol=0.05))


def check_features(what: str, got, expected: np.ndarray, n_samples: int, n_fft: int, hop: int,
                   *, strict_layout: bool) -> str | None:
    """Fail with got/expected unless ``got`` matches; return a note when the layout was forgiven."""
    if got is None:
        fail(f"{what}: got no array, expected a float32 array of shape {shape_text(expected.shape)}")
    if got.dtype.kind != "f":
        fail(f"{what}: got an array of dtype {got.dtype}, expected float32")
    problem = layout_problem(got, expected, n_samples, n_fft, hop)
    note = None
    if problem is not None:
        pair = None if strict_layout else aligned(got, expected, n_samples, n_fft, hop)
        if pair is None:
            fail(f"{what}: {problem}{missing_log_hint(got)}")
        got, expected = pair
        note = f"{what}: values compared after undoing the layout problem that 2.1 grades"
    problem = value_problem(got, expected)
    if problem is not None:
        fail(f"{what}: {problem}")
    return note


# --- audio -------------------------------------------------------------------------------------

def check_audio(what: str, report: dict, arrays: dict, expected: np.ndarray, sr: int, *, file_channels: int,
                file_rate: int, charges_return: bool = True, fixed_rate: bool = False) -> str | None:
    """Fail unless get_audio_file_data returned (mono float audio, sr) matching ``expected``.

    When it returned one number that is the first sample of an array it held (``audio[0]``),
    only the check with ``charges_return`` fails for it; the others judge that array."""
    if "missing" in report:
        fail(f"{what}: feature_extraction_<name>.py defines no function {report['missing']}")
    if "failure" in report:
        fail(describe_failure(report["failure"], doing=what))
    if report.get("returned") != "tuple" or "sr" not in report:
        fail(f"{what} returned {report.get('returned')}"
             + (f" of length {report['length']}" if report.get("length") is not None else "")
             + ", expected a tuple (audio, sr)")
    audio = arrays.get(report.get("array", ""))
    if audio is None:
        fail(f"{what} returned audio of type {report.get('audio_type')}, expected a 1-D float32 numpy array")
    got_sr = report["sr"]
    remark = None
    behind = arrays.get(report.get("array_behind", ""))
    if audio.ndim == 0 and behind is not None and not charges_return:
        audio = behind
        remark = (f"{what} returned one sample instead of the array (charged by 1.1); its samples were judged "
                  "on the array it returned the first element of")
    if audio.ndim == 0:
        fail(f"{what} returned a single number as the audio (shape ()), expected the whole 1-D array of "
             f"samples, shape {shape_text(expected.shape)}: return (audio, sr) with all the samples, "
             "not one sample such as audio[0]")
    if audio.ndim != 1:
        if file_channels > 1 and file_channels in audio.shape:
            how = "mix the channels down to mono (librosa.load(..., mono=True), or average them)"
        else:
            how = "return a 1-D array of samples (librosa.load gives one; flatten a (n, 1) array with .reshape(-1))"
        fail(f"{what} returned audio of shape {shape_text(audio.shape)}, expected a 1-D array of shape "
             f"{shape_text(expected.shape)} for this {file_channels}-channel file: {how}")
    if audio.dtype.kind != "f":
        fail(f"{what} returned audio of dtype {audio.dtype}, expected float32 samples in [-1, 1]")
    if isinstance(got_sr, bool) or not isinstance(got_sr, (int, float)) or got_sr != sr:
        if fixed_rate:
            hint = (f": it returned sr={got_sr:g} for every file, whatever the file's rate and the sr asked for; "
                    "a fixed rate ignores the sr argument: pass it on, librosa.load(path, sr=sr)")
        elif got_sr == file_rate:
            hint = (" (the file's own rate): resample to the sr argument, e.g. librosa.load(path, sr=sr); "
                    "sr=None keeps the file's rate")
        else:
            hint = ""
        fail(f"{what} returned sr={got_sr!r}, expected sr={sr}{hint}")
    if abs(len(audio) - len(expected)) > 2:
        ratio = len(audio) / max(len(expected), 1)
        hint = ""
        if abs(ratio - file_rate / sr) < 0.01 and file_rate != sr:
            hint = f": that is {file_rate} samples per second, the file's own rate: resample to {sr} Hz"
        elif abs(ratio - file_channels) < 0.01 and file_channels > 1:
            hint = ": the channels seem to be interleaved; average them into one channel instead"
        fail(f"{what} returned {len(audio)} samples, expected {len(expected)} "
             f"({len(expected) / sr:.2f} s at {sr} Hz){hint}")
    n = min(len(audio), len(expected))
    error = _relative_rms(audio[:n], expected[:n])
    if error > AUDIO_RTOL:
        fail(f"{what}: the samples differ from the expected ones by {error:.1%} (RMS, relative; at most "
             f"{AUDIO_RTOL:.0%} allowed)" + (": average all channels, do not keep only one" if file_channels > 1 else ""))
    return remark


def _relative_rms(got: np.ndarray, expected: np.ndarray) -> float:
    reference = float(np.sqrt(np.mean(expected.astype(np.float64) ** 2))) or 1.0
    return float(np.sqrt(np.mean((got.astype(np.float64) - expected) ** 2))) / reference


# --- feature files -----------------------------------------------------------------------------

def read_feature_bytes(what: str, data: bytes) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` written by student code, read as data (never unpickled)."""
    if not data:
        fail(f"{what} is empty (0 bytes), expected an .npz archive with 'features' and 'label'")
    if data[:1] == b"\x80" or data[:2] in (b"(d", b"}q", b"(l"):
        fail(f"{what} is a pickle (pickle.dump), expected an .npz archive (np.savez): graders and the next "
             "exercise load feature files with np.load(path, allow_pickle=False), which refuses pickles")
    if data[:6] == b"\x93NUMPY":
        fail(f"{what} is a single .npy array (np.save), expected an .npz archive with two arrays, 'features' "
             "and 'label': use np.savez(file, features=..., label=...)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            fail(f"{what} unpacks to more than {MAX_UNPACKED_BYTES >> 20} MB; a clip's features are far smaller")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            names = list(npz.files)
            arrays = {name: npz[name] for name in names if name in ("features", "label")}
    except zipfile.BadZipFile:
        fail(f"{what} is not an .npz archive (it starts with {data[:8]!r}); write it with np.savez")
    except ValueError as error:
        if "pickle" in str(error):
            fail(f"{what} holds a pickled object array (e.g. a dict saved with np.savez): store 'features' as a "
                 "float32 array and 'label' as an int64 scalar array; it must load with allow_pickle=False")
        fail(f"{what} cannot be read with np.load(allow_pickle=False): {error}")
    missing = [name for name in ("features", "label") if name not in names]
    if missing:
        fail(f"{what} holds the arrays {names}, expected 'features' and 'label' "
             f"(missing: {', '.join(repr(m) for m in missing)})")
    return arrays


def check_label_array(what: str, label: np.ndarray, expected: int) -> None:
    check_shape(label.shape, (), f"{what}: 'label'", hint="a scalar int64, np.int64(label)")
    check_dtype(label.dtype, "int64", f"{what}: 'label'", hint="the class id as an int64 scalar, np.int64(label)")
    check_value(int(label), expected, f"{what}: 'label'")
