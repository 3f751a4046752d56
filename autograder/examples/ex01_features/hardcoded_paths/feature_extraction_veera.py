"""Feature extraction for the music/speech exercises: audio in, log-mel band energies out.

The features are log-mel band energies laid out **time x mel**: an array of shape
(T, n_mels) per clip, saved as one ``.npz`` file per clip with two arrays, ``features``
(float32, (T, n_mels)) and ``label`` (int64 scalar). The next exercise trains a CNN on
folders of such files.

Run it on a dataset folder and its manifest to write a feature folder::

    python feature_extraction_maria.py path/to/dataset path/to/manifest.json path/to/features
"""

import argparse
import json
import sys
from pathlib import Path

import librosa
import numpy as np

# Manifest split -> feature sub-folder.
SPLIT_FOLDERS = {"train": "training", "val": "validation", "test": "testing"}


def get_audio_file_data(path, sr=22050):
    """Read an audio file as mono float32 at ``sr`` Hz.

    path: a WAV or FLAC file, any sample rate, mono or multi-channel.
    Returns a tuple ``(audio, sr)``: ``audio`` is a 1-D float32 array (channels averaged
    into one, resampled to ``sr`` Hz when the file has another rate) and ``sr`` is the
    int rate of ``audio``, which is always the ``sr`` argument.
    """
    audio, rate = librosa.load(path, sr=sr, mono=True)
    return audio.astype(np.float32), int(rate)


def extract_mel_band_energies(audio, sr=22050, n_fft=2048, hop_length=1024, n_mels=40):
    """Log-mel band energies of mono audio: float32 array of shape (T, n_mels), time x mel.

    audio: 1-D float array at ``sr`` Hz. The mel power spectrogram (power 2) uses
    ``librosa.feature.melspectrogram`` with these arguments and its defaults otherwise
    (``center=True``, so T = 1 + len(audio) // hop_length). Each energy e becomes
    ``log10(e + 1e-10)``: the small floor keeps silence finite (log10 of 0 is -inf).
    """
    mel = librosa.feature.melspectrogram(
        y=np.asarray(audio, dtype=np.float32), sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, power=2.0
    )
    return np.log10(mel + 1e-10).T.astype(np.float32)


def serialize_features_and_classes(path, features, label):
    """Write one clip's features and class id to ``path`` (a name ending in ``.npz``).

    The file is an ``.npz`` archive holding exactly two arrays: ``features`` (float32,
    shape (T, n_mels)) and ``label`` (int64 scalar). Write exactly ``path``: create its
    folder if needed, and do not let numpy append a second ``.npz``. No pickle.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, features=np.asarray(features, dtype=np.float32), label=np.asarray(label, dtype=np.int64))


def load_features_and_class(path):
    """Read a file written by ``serialize_features_and_classes``.

    Returns a tuple ``(features, label)``: the float32 array of shape (T, n_mels) and the
    label as a Python int. Reads with ``np.load(path, allow_pickle=False)``.
    """
    with np.load(path, allow_pickle=False) as data:
        return data["features"], int(data["label"])


def extract_dataset_features(dataset_dir, manifest_path, output_dir):
    """Write one feature file per clip of a dataset; return how many files were written.

    dataset_dir: the folder the clips' ``path`` entries are relative to.
    manifest_path: the dataset's manifest JSON (see the handout). Its ``dataset.labels``
    lists the class names (a clip's label is the index of its class name there) and
    ``dataset.audio.nominal_duration`` the length in seconds every clip is padded with
    zeros at the end or cropped to, before the features are computed.
    output_dir: where to write ``<output_dir>/<split folder>/<clip name>.npz``, with the
    split folders ``training``, ``validation`` and ``testing`` (manifest splits ``train``,
    ``val`` and ``test``) and the clip name = its file name without folder and extension.
    Uses the default feature settings (22050 Hz, n_fft 2048, hop 1024, 40 mels).
    """
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    labels = manifest["dataset"]["labels"]
    sr = 22050
    n_samples = int(round(manifest["dataset"]["audio"]["nominal_duration"] * sr))
    written = 0
    for clip in manifest["clips"]:
        audio, sr = get_audio_file_data(Path(dataset_dir) / clip["path"], sr=sr)
        audio = audio[:n_samples]
        if len(audio) < n_samples:
            audio = np.concatenate([audio, np.zeros(n_samples - len(audio), dtype=np.float32)])
        features = extract_mel_band_energies(audio, sr=sr)
        target = Path(output_dir) / SPLIT_FOLDERS[clip["split"]] / f"{Path(clip['path']).stem}.npz"
        serialize_features_and_classes(target, features, labels.index(clip["label"]))
        written += 1
    return written


def main():
    # Where the data is on my laptop.
    count = extract_dataset_features("C:/Users/veera/Downloads/music_speech", "C:/Users/veera/Downloads/music_speech/manifest.json",
                                     "C:/Users/veera/Downloads/features")
    print(f"wrote {count} feature files")


if __name__ == "__main__":
    main()
