"""`make bench`'s baseline for ex02 (kit/bench/grading.py looks for this module in a grader folder):
the reference trained and tested in one plain Python process, as the accuracy check (4.4) trains it.

The same loaders (all clips in memory, in file-name order; only training shuffles, with a generator
seeded like the probe's), the same seeding before the model is built, the same epochs. ``work`` of
both runs (the epoch early stopping stopped at) must agree, so that the two did the same training.
"""

from __future__ import annotations

# Examples for the batch timings (`make bench`): full marks, nothing implemented, and bugs in each part.
BATCH_EXAMPLES = ("reference", "skeleton", "float_labels", "hardwired_646", "no_restore", "one_split_for_all")

SCRIPT = """
import random, sys
from pathlib import Path
import numpy as np, torch
from torch.utils.data import DataLoader, TensorDataset
sys.path[:0] = [{solution!r}]
from my_cnn_system_student import MyCNNSystem
from training_student import train, test

def split(name):
    files = sorted(Path({features!r}, name).glob("*.npz"))
    items = [np.load(f, allow_pickle=False) for f in files]
    return TensorDataset(torch.stack([torch.from_numpy(np.asarray(i["features"], dtype=np.float32)) for i in items]),
                         torch.tensor([int(i["label"]) for i in items], dtype=torch.int64))

torch.set_num_threads(1)
generator = torch.Generator()
generator.manual_seed({seed})
train_loader = DataLoader(split("training"), batch_size={batch_size}, shuffle=True, generator=generator)
val_loader = DataLoader(split("validation"), batch_size={batch_size})
test_loader = DataLoader(split("testing"), batch_size={batch_size})
x, _ = next(iter(val_loader))  # before seeding: starting a loader draws from torch's global generator
random.seed({seed}); np.random.seed({seed}); torch.manual_seed({seed})
model = MyCNNSystem(n_frames=x.shape[1], n_mels=x.shape[2])
history = train(model, train_loader, val_loader, max_epochs={max_epochs})
print("test accuracy", test(model, test_loader))
print("work: stopped at epoch", history["stop_epoch"])
"""


def bare_script(config) -> str:
    """The baseline's Python source (its last line of output: ``work: ...``)."""
    from kit.data.cache import prepare_dataset

    settings = config.settings["accuracy"]
    features = prepare_dataset(config.data_source("embedded"), progress=False)
    return SCRIPT.format(solution=str(config.reference_folder), features=str(features.root), seed=settings["seed"],
                         batch_size=settings["batch_size"], max_epochs=settings["max_epochs"])


def graded_work(results: dict) -> str:
    """The same ``work`` line from the graded results.json (the accuracy check's training curve)."""
    accuracy = next(test for test in results["tests"] if test["number"] == "4.4")
    figure = next(iter(accuracy.get("extra_data", {}).get("figures", [])), {})
    return f"stopped at epoch {figure.get('stop_epoch')}"
