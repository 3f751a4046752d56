"""Feature extraction for the music/speech exercises: audio in, log-mel band energies out.

Rename this file to ``feature_extraction_<yourname>.py`` before you submit it.

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
    raise NotImplementedError("not implemented: read the file, mix it down to mono and resample it to sr")


def extract_mel_band_energies(audio, sr=22050, n_fft=2048, hop_length=1024, n_mels=40):
    """Log-mel band energies of mono audio: float32 array of shape (T, n_mels), time x mel.

    audio: 1-D float array at ``sr`` Hz. The mel power spectrogram (power 2) uses
    ``librosa.feature.melspectrogram`` with these arguments and its defaults otherwise
    (``center=True``, so T = 1 + len(audio) // hop_length). Each energy e becomes
    ``log10(e + 1e-10)``: the small floor keeps silence finite (log10 of 0 is -inf).
    """
    raise NotImplementedError("not implemented: compute the mel power spectrogram, take log10(mel + 1e-10), return (T, n_mels)")


def serialize_features_and_classes(path, features, label):
    """Write one clip's features and class id to ``path`` (a name ending in ``.npz``).

    The file is an ``.npz`` archive holding exactly two arrays: ``features`` (float32,
    shape (T, n_mels)) and ``label`` (int64 scalar). Write exactly ``path``: create its
    folder if needed, and do not let numpy append a second ``.npz``. No pickle.
    """
    raise NotImplementedError("not implemented: save features (float32) and label (int64) into the .npz file at path")


def load_features_and_class(path):
    """Read a file written by ``serialize_features_and_classes``.

    Returns a tuple ``(features, label)``: the float32 array of shape (T, n_mels) and the
    label as a Python int. Reads with ``np.load(path, allow_pickle=False)``.
    """
    raise NotImplementedError("not implemented: load the .npz file without pickle and return (features, int label)")


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
    raise NotImplementedError("not implemented: read the manifest with json, then extract, label and serialize every clip")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Extract log-mel features of a dataset.")
    parser.add_argument("dataset_dir", help="folder the manifest's clip paths are relative to")
    parser.add_argument("manifest", help="the dataset's manifest JSON")
    parser.add_argument("output_dir", help="where the training/validation/testing folders go")
    args = parser.parse_args(argv)
    count = extract_dataset_features(args.dataset_dir, args.manifest, args.output_dir)
    print(f"wrote {count} feature files to {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
