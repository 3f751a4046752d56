"""Exercise 1: feature extraction. Author: Emma"""

import json
import os

import librosa
import numpy as np


def get_audio_file_data(path, sr=22050):
    """Read an audio file as mono float32 at sr Hz; returns (audio, sr)."""
    audio, sample_rate = librosa.load(path, sr=sr, mono=True)
    return audio, sample_rate


def extract_mel_band_energies(audio, sr=22050, n_fft=2048, hop_length=1024, n_mels=40):
    """Log-mel band energies, shape (T, n_mels)."""
    mel_spec = librosa.feature.melspectrogram(y=audio, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                              n_mels=n_mels)
    return mel_spec.T.astype(np.float32)


def serialize_features_and_classes(path, features, label):
    """Save the features and the class to an .npz file."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, features=features.astype(np.float32), label=np.int64(label))


def load_features_and_class(path):
    """Read back (features, label)."""
    data = np.load(path, allow_pickle=False)
    return data["features"], int(data["label"])


def extract_dataset_features(dataset_dir, manifest_path, output_dir):
    """Go through the dataset and write one feature file per clip."""
    with open(manifest_path) as f:
        manifest = json.load(f)
    labels = manifest["dataset"]["labels"]
    duration = manifest["dataset"]["audio"]["nominal_duration"]
    folders = {"train": "training", "val": "validation", "test": "testing"}
    count = 0
    for clip in manifest["clips"]:
        audio, sr = get_audio_file_data(os.path.join(dataset_dir, clip["path"]))
        n = int(round(duration * sr))
        if len(audio) >= n:
            audio = audio[:n]
        else:
            audio = np.pad(audio, (0, n - len(audio)))
        features = extract_mel_band_energies(audio, sr=sr)
        name = os.path.splitext(os.path.basename(clip["path"]))[0]
        out_path = os.path.join(output_dir, folders[clip["split"]], name + ".npz")
        serialize_features_and_classes(out_path, features, labels.index(clip["label"]))
        count += 1
    return count


if __name__ == "__main__":
    import sys

    n = extract_dataset_features(sys.argv[1], sys.argv[2], sys.argv[3])
    print("wrote", n, "files")
