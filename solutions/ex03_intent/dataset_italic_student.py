"""Part 2: the ITALIC data, a Dataset of (input, intent id) pairs and three loaders.

Rename this file to ``dataset_italic_<yourname>.py`` (and the import in your training
script's ``main()``) before you submit it.

The data folder (``italic_mini/`` in ``italic_mini.zip``) holds a ``manifest.json`` and the
audio, 16 kHz mono FLAC, one folder per split and intent::

    italic_mini/
        manifest.json          dataset.labels: the intents, in class-id order;
                               clips: path (relative to this folder), label, split
        training/<intent>/*.flac   validation/...   testing/...

Splits are named ``"train"``, ``"val"`` and ``"test"`` in the manifest. Utterances last
about 1 to 4.5 s: every item is cropped or padded to ``CLIP_SECONDS`` so that a batch is one
tensor.
"""

import json
from pathlib import Path

import librosa
import numpy as np
import soundfile
import torch
from torch.utils.data import DataLoader, Dataset

SAMPLE_RATE = 16000
CLIP_SECONDS = 4.0
CLIP_SAMPLES = int(CLIP_SECONDS * SAMPLE_RATE)  # 64000
# Log-mel parameters (for a 2-D model): 32 ms windows, 16 ms hop, 40 mel bands.
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 40
N_FRAMES = 1 + CLIP_SAMPLES // HOP_LENGTH  # 251 (librosa's center=True framing)


def intent_names(root):
    """The intents of the data folder ``root``, in class-id order: the manifest's ``dataset.labels``.

    Intent id ``i`` is ``intent_names(root)[i]``. The order is the manifest's, not sorted.
    """
    # BEGIN SOLUTION: read manifest.json and return dataset.labels as a list
    with open(Path(root) / "manifest.json", encoding="utf-8") as handle:
        return list(json.load(handle)["dataset"]["labels"])
    # END SOLUTION


def crop_or_pad(audio, n_samples=CLIP_SAMPLES):
    """``audio`` (1-D) cut to its first ``n_samples`` samples, or padded with zeros at the end."""
    # BEGIN SOLUTION: keep the start; pad with zeros at the end
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) >= n_samples:
        return audio[:n_samples]
    return np.concatenate([audio, np.zeros(n_samples - len(audio), dtype=np.float32)])
    # END SOLUTION


def log_mel(audio):
    """Log-mel band energies of a ``CLIP_SAMPLES`` clip: float32 (N_FRAMES, N_MELS), time x mel.

    librosa's power mel spectrogram (N_FFT, HOP_LENGTH, N_MELS, center=True), then log10(mel + 1e-10).
    """
    # BEGIN SOLUTION: librosa.feature.melspectrogram, log10, transpose to (T, 40)
    mel = librosa.feature.melspectrogram(y=np.asarray(audio, dtype=np.float32), sr=SAMPLE_RATE, n_fft=N_FFT,
                                         hop_length=HOP_LENGTH, n_mels=N_MELS)
    return np.log10(mel + 1e-10).T.astype(np.float32)
    # END SOLUTION


class ITALICDataset(Dataset):
    """The clips of one split of the data folder ``root``: ``split`` is "train", "val" or "test".

    ``dataset[i]`` is ``(x, intent_id)`` for the i-th clip of the split in manifest order: x a
    float32 tensor, the clip cropped or padded to ``CLIP_SAMPLES`` samples, of shape
    (CLIP_SAMPLES,) when ``input_kind`` is "waveform" and its log-mel (N_FRAMES, N_MELS) when
    it is "log_mel"; intent_id an int64 tensor, the index of the clip's intent in
    ``intent_names(root)``.
    """

    def __init__(self, root, split, input_kind="log_mel"):
        # BEGIN SOLUTION: the split's clips from the manifest; read each clip once, here
        if input_kind not in ("waveform", "log_mel"):
            raise ValueError(f"input_kind must be 'waveform' or 'log_mel', not {input_kind!r}")
        root = Path(root)
        with open(root / "manifest.json", encoding="utf-8") as handle:
            manifest = json.load(handle)
        names = list(manifest["dataset"]["labels"])
        clips = [clip for clip in manifest["clips"] if clip["split"] == split]
        if not clips:
            raise ValueError(f"{root / 'manifest.json'} has no clips of split {split!r} (use 'train', 'val' or 'test')")
        self.inputs, self.intents = [], []
        for clip in clips:
            audio, rate = soundfile.read(root / clip["path"], dtype="float32", always_2d=True)
            audio = audio.mean(axis=1)
            if rate != SAMPLE_RATE:
                audio = librosa.resample(audio, orig_sr=rate, target_sr=SAMPLE_RATE)
            audio = crop_or_pad(audio)
            x = log_mel(audio) if input_kind == "log_mel" else audio
            self.inputs.append(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
            self.intents.append(torch.tensor(names.index(clip["label"]), dtype=torch.int64))
        # END SOLUTION

    def __len__(self):
        # BEGIN SOLUTION: the number of clips of the split
        return len(self.inputs)
        # END SOLUTION

    def __getitem__(self, index):
        # BEGIN SOLUTION: (float32 input, int64 intent id)
        return self.inputs[index], self.intents[index]
        # END SOLUTION


def get_data_loaders(root, batch_size=16, input_kind="log_mel"):
    """(train_loader, val_loader, test_loader) over the splits "train", "val" and "test" of ``root``.

    Only the training loader shuffles; the validation and testing loaders keep the manifest's
    order and give every clip once per pass.
    """
    # BEGIN SOLUTION: one ITALICDataset per split; shuffle the training loader only
    return (DataLoader(ITALICDataset(root, "train", input_kind), batch_size=batch_size, shuffle=True),
            DataLoader(ITALICDataset(root, "val", input_kind), batch_size=batch_size, shuffle=False),
            DataLoader(ITALICDataset(root, "test", input_kind), batch_size=batch_size, shuffle=False))
    # END SOLUTION
