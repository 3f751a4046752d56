"""Shared by the ex03 probes (runs in the sandbox, beside the student's files).

- the handout's input shapes per ``INPUT_KIND``;
- ``student_model``: the student's ``INPUT_KIND`` and ``IntentCNN``, or a stand-in model when the
  model file cannot be imported or its model cannot run on the handout's input: the checks of
  train(), evaluate() and the script then judge the training code with the stand-in, so that a
  model bug is charged to part 3 only (one bug, one deduction). The probe says when it did so;
- ``ViewDataset``: the kit's own loaders over a feature folder of the grading view (one .npz per
  clip), for the held-out accuracy: a data-loading bug is part 2's to charge, not this check's;
- ``KitITALICDataset`` and friends: the handout's data API, used in place of a student's dataset
  module that cannot be imported or cannot feed a model (the script run, 5.5);
- ``chapter_accuracy_in_place``: when the training module's ``accuracy()`` disagrees with the
  chapter's formula (printed in the handout), train() is judged with the chapter's instead, so that
  an accuracy() bug is charged by 5.1 alone and not by every check of train().

Nothing here is secret: it holds no expected values, only the handout's interface.
"""

import json
import math
import os
from pathlib import Path

import _probe_runtime as rt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

SAMPLE_RATE, CLIP_SAMPLES, N_FFT, HOP_LENGTH, N_MELS = 16000, 64000, 512, 256, 40
N_FRAMES = 1 + CLIP_SAMPLES // HOP_LENGTH
SHAPES = {"waveform": (CLIP_SAMPLES,), "log_mel": (N_FRAMES, N_MELS)}
MODEL_PREFIX, DATASET_PREFIX, TRAINING_PREFIX = "intent_cnn_", "dataset_italic_", "training_intent_"


def first_line(error: BaseException) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if not isinstance(error, rt.StudentCodeError) else text


def jsonable(value, depth=0):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    elif isinstance(value, np.ndarray) or isinstance(value, np.generic):
        value = value.tolist()
    if depth > 3:
        return repr(value)[:80]
    if isinstance(value, dict):
        return {str(k)[:40]: jsonable(v, depth + 1) for k, v in list(value.items())[:10]}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value[:200]]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return repr(value)[:80]


class StandInModel(nn.Module):
    """Not the handout's answer: one small convolution and global average pooling, for either input kind."""

    def __init__(self, n_intents=10, kind="log_mel"):
        super().__init__()
        self.kind = kind
        if kind == "waveform":
            self.conv = nn.Sequential(nn.Conv1d(1, 16, 64, stride=16), nn.ReLU())
        else:
            self.conv = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU())
        self.out = nn.Linear(16, n_intents)

    def forward(self, x):
        h = self.conv(x.unsqueeze(1))
        return self.out(h.flatten(2).mean(dim=2))


def build(model_class, n_intents):
    """``IntentCNN(n_intents=...)``, or ``IntentCNN(n)`` when the keyword is named otherwise."""
    try:
        return model_class(n_intents=n_intents)
    except TypeError:
        return model_class(n_intents)


def declared_kind(module):
    kind = getattr(module, "INPUT_KIND", None)
    return kind if kind in SHAPES else None


def chapter_accuracy(logits, targets):
    """The chapter's own line: ``(predictions.argmax(dim=1) == targets).float().mean()``."""
    return (logits.argmax(dim=1) == targets).float().mean().item()


def chapter_accuracy_in_place(training):
    """Put the chapter's accuracy in the training module when its own gives another value on random
    logits (or fails); returns why, or None."""
    function = getattr(training, "accuracy", None)
    if not callable(function):
        return None  # train() then uses its own code: nothing to replace
    generator = torch.Generator().manual_seed(3)
    logits, targets = torch.randn(9, 5, generator=generator), torch.randint(0, 5, (9,), generator=generator)
    try:
        got = function(logits, targets)
        got = float(got.item() if isinstance(got, torch.Tensor) else got)
        right = abs(got - chapter_accuracy(logits, targets)) < 1e-6
    except Exception:  # noqa: BLE001 - the student's code
        right = False
    if right:
        return None
    training.accuracy = chapter_accuracy
    return "your accuracy() gives other values than the chapter's formula (see 5.1)"


def student_model(n_intents=10):
    """(kind, model class, note): the student's IntentCNN when it builds and gives (2, n_intents) on the
    handout's input of its INPUT_KIND, else the stand-in (note says why)."""
    try:
        module = rt.import_student(MODEL_PREFIX)
    except BaseException as error:  # noqa: BLE001 - missing, or failed to import
        return "log_mel", StandInModel, f"the model file could not be used ({first_line(error)})"
    model_class = getattr(module, "IntentCNN", None)
    declared = declared_kind(module)
    if model_class is None:
        return declared or "log_mel", _stand_in_of(declared or "log_mel"), "the model file has no IntentCNN"
    kind, runnable, problem = runnable_model(model_class, [declared] if declared else list(SHAPES), n_intents)
    if runnable is not None:
        return kind, runnable, None
    kind = declared or "log_mel"
    return kind, _stand_in_of(kind), problem


def runnable_model(model_class, kinds, n_intents=10):
    """(kind, model class, None): the first of ``kinds`` on whose handout input ``model_class`` gives
    (2, n_intents) logits, as written or else with the channel axis added (``with_channel_axis``);
    (None, None, why not) when none does. A misspelt INPUT_KIND is 3.1's to charge, a forward that wants
    the channel axis in its input 3.2's: the model checks (probes/model.py) and the training
    (``student_model``) both take the model as this finds it, on the input it runs on."""
    problem = None
    for kind in kinds:
        for candidate in (model_class, with_channel_axis(model_class)):
            outcome = _gives_logits(candidate, kind, n_intents)
            if outcome is None:
                return kind, candidate, None
            problem = problem or outcome
    return None, None, problem


def _gives_logits(model_class, kind, n_intents):
    """None when ``model_class`` builds and gives (2, n_intents) on the handout's input of ``kind``, else why not."""
    try:
        model = build(model_class, n_intents)
        model.eval()
        with torch.no_grad():
            out = model(torch.rand(2, *SHAPES[kind]))
        if isinstance(out, torch.Tensor) and tuple(out.shape) == (2, n_intents):
            return None
        return "IntentCNN does not give (B, n_intents) logits"
    except BaseException as error:  # noqa: BLE001
        return f"IntentCNN could not run ({first_line(error)})"


def with_channel_axis(model_class):
    """``model_class`` fed (B, 1, ...) batches: for a student whose forward wants the channel axis in its input
    (the dataset adds it) instead of adding it itself. 3.2 charges that once; every other check, and the
    training, then judge the model on the input it takes."""

    class ChannelAxisAdded(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            self.model = model_class(*args, **kwargs)

        def forward(self, x):
            return self.model(x.unsqueeze(1))

    return ChannelAxisAdded


def _stand_in_of(kind):
    class KindStandIn(StandInModel):
        def __init__(self, n_intents=10):
            super().__init__(n_intents, kind)

    return KindStandIn


class ViewDataset(Dataset):
    """One split folder of the grading view: one .npz per clip (``features``; ``label``, -1 when held out)."""

    def __init__(self, folder):
        self.files = sorted(Path(folder).glob("*.npz"))
        self.inputs, self.labels = [], []
        for path in self.files:
            with np.load(path, allow_pickle=False) as data:
                self.inputs.append(torch.from_numpy(np.asarray(data["features"], dtype=np.float32)))
                self.labels.append(torch.tensor(int(data["label"]) if "label" in data.files else -1))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        return self.inputs[index], self.labels[index]


def view_loader(folder, batch_size, *, shuffle=False, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(ViewDataset(folder), batch_size=batch_size, shuffle=shuffle, generator=generator)


# The handout's data API over a data folder (manifest.json + audio), the kit's own implementation.
def intent_names(root):
    with open(Path(root) / "manifest.json", encoding="utf-8") as handle:
        return list(json.load(handle)["dataset"]["labels"])


def _log_mel(audio):
    import librosa

    mel = librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS)
    return np.log10(mel + 1e-10).T.astype(np.float32)


def split_registry():
    """id(dataset) -> split, for the script run's record of which split each loader reads. Kept on the
    runtime module: this module is also imported a second time, as the student's dataset module."""
    return rt.__dict__.setdefault("_dataset_splits", {})


class KitITALICDataset(Dataset):
    def __init__(self, root, split, input_kind="log_mel"):
        import soundfile

        split_registry()[id(self)] = split
        names = intent_names(root)
        self.items = []
        for clip in self.clips_of(root, split):
            audio, _ = soundfile.read(Path(root) / clip["path"], dtype="float32", always_2d=True)
            audio = audio.mean(axis=1)[:CLIP_SAMPLES]
            audio = np.concatenate([audio, np.zeros(CLIP_SAMPLES - len(audio), np.float32)])
            x = _log_mel(audio) if input_kind == "log_mel" else audio
            self.items.append((torch.from_numpy(x), torch.tensor(names.index(clip["label"]))))

    @staticmethod
    def clips_of(root, split):
        with open(Path(root) / "manifest.json", encoding="utf-8") as handle:
            return [clip for clip in json.load(handle)["clips"] if clip["split"] == split]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


ITALICDataset = KitITALICDataset  # the handout's name, for a script that imports the stand-in


def get_data_loaders(root, batch_size=16, input_kind="log_mel", **_ignored):
    return (DataLoader(KitITALICDataset(root, "train", input_kind), batch_size=batch_size, shuffle=True),
            DataLoader(KitITALICDataset(root, "val", input_kind), batch_size=batch_size),
            DataLoader(KitITALICDataset(root, "test", input_kind), batch_size=batch_size))


def dataset_or_stand_in(root, kind, *, alias=True):
    """Import the student's dataset module; when it is missing, fails to import or its loaders cannot
    feed a model (float32 batches of the kind's shape, one integer intent per clip), put this module
    in its place (``import dataset_italic_<anything>`` finds it). Returns why, or None."""
    try:
        module = rt.import_student(DATASET_PREFIX, alias=alias)
        problem = None
        # Batches larger than a split: a validation or testing loader that drops clips shows, and may
        # give a script nothing to test on (that is 2.5's to charge, not the script run's).
        counts = {split: len(KitITALICDataset.clips_of(root, split)) for split in ("train", "val", "test")}
        loaders = module.get_data_loaders(root, max(counts.values()) + 1, kind)
        if not isinstance(loaders, (tuple, list)) or len(loaders) != 3:
            problem = "its get_data_loaders does not return three loaders"
        else:
            for (split, count), loader in zip(counts.items(), loaders):
                batches = list(loader)
                if split != "train" and sum(len(batch[1]) for batch in batches) != count:
                    problem = f"its {split} loader does not give each of the {count} clips once per pass (see 2.5)"
                    break
                if not batches:
                    continue  # a training loader that drops its only, smaller batch: not for this check
                x, y = batches[0]
                if not (isinstance(x, torch.Tensor) and x.dtype == torch.float32
                        and tuple(x.shape[1:]) == SHAPES[kind]):
                    problem = f"its loaders' batches are not float32 (B, {', '.join(map(str, SHAPES[kind]))}) tensors"
                elif not (isinstance(y, torch.Tensor) and not y.is_floating_point() and y.shape[:1] == x.shape[:1]):
                    problem = "its loaders' intents are not one integer per clip"
                if problem:
                    break
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raises
        problem = first_line(error)
    if problem is not None:
        rt.redirect_prefix(DATASET_PREFIX, __file__)
    return problem


def model_stand_in_for_import(kind, model_class):
    """Let ``import intent_cnn_<anything>`` give the script ``model_class`` as ``IntentCNN``: the student's
    module with its class replaced, or when it does not import, the stand-in module (``_model_stand_in``)."""
    try:
        module = rt.import_student(MODEL_PREFIX, alias=False)
    except BaseException:  # noqa: BLE001 - charged by the model checks
        rt.redirect_prefix(MODEL_PREFIX, os.path.join(rt.ROOT, "_model_stand_in.py"))
        return
    module.INPUT_KIND = kind
    module.IntentCNN = model_class
