"""`make bench`'s baseline for ex03 (kit/bench/grading.py looks for this module in a grader folder):
the reference trained with its own train() and evaluated on the test split in one plain Python
process, as the held-out accuracy check (5.7) trains it.

The same inputs (the reference's INPUT_KIND from the feature cache, all clips in memory, in file-name
order; only training shuffles, with a generator seeded like the probe's), the same seeding before
the model is built, the same epochs. ``work`` of both runs (the epochs train() ran) must agree.
"""

from __future__ import annotations

SCRIPT = """
import random, sys
from pathlib import Path
import numpy as np, torch
from torch.utils.data import DataLoader, TensorDataset
sys.path[:0] = [{solution!r}]
import intent_cnn_student as model_module
from training_intent_student import train, evaluate

def split(name):
    files = sorted(Path({features!r}, name).glob("*.npz"))
    items = [np.load(f, allow_pickle=False) for f in files]
    return TensorDataset(torch.stack([torch.from_numpy(np.asarray(i["features"], dtype=np.float32)) for i in items]),
                         torch.tensor([int(i["label"]) for i in items], dtype=torch.int64))

torch.set_num_threads(1)
train_loader = DataLoader(split("training"), batch_size={batch_size}, shuffle=True,
                          generator=torch.Generator().manual_seed({seed}))
val_loader = DataLoader(split("validation"), batch_size={batch_size})
test_loader = DataLoader(split("testing"), batch_size={batch_size})
random.seed({seed}); np.random.seed({seed}); torch.manual_seed({seed})
model = model_module.IntentCNN(n_intents={n_intents})
history = train(model, train_loader, val_loader, max_epochs={max_epochs})
print("test", evaluate(model, test_loader, {n_intents})["accuracy"])
print("work:", len(history["val_accuracies"]), "epochs")
"""


def bare_script(config) -> str:
    """The baseline's Python source (its last line of output: ``work: ...``)."""
    import importlib.util

    from kit.data.cache import prepare_dataset

    spec = importlib.util.spec_from_file_location("reference_model", config.reference_folder / "intent_cnn_student.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = config.data_source("embedded")
    features = prepare_dataset(source, progress=False, params=config.features[module.INPUT_KIND])
    settings = config.settings["accuracy"]
    return SCRIPT.format(solution=str(config.reference_folder), features=str(features.root), seed=settings["seed"],
                         batch_size=settings["batch_size"], max_epochs=settings["max_epochs"],
                         n_intents=len(config.class_names("embedded")))


def graded_work(results: dict) -> str:
    """The same ``work`` line from the graded results.json (the accuracy check's validation curve)."""
    accuracy = next(test for test in results["tests"] if test["number"] == "5.7")
    figure = next(iter(accuracy.get("extra_data", {}).get("figures", [])), {})
    return f"{len(figure.get('series', {}).get('validation accuracy', []))} epochs"
