"""Train the student's own model with the student's own train(), then predict held-out clips.

Training uses the kit's own loaders (``_kit_data``: a data-loading bug is charged to part 3.1
only) over the training and validation splits. The held-out features (the holdout split,
which students never receive) arrive without labels, under anonymous names; the probe returns
the logits in file-name order and the trusted side scores them. When the student's
MyCNNSystem cannot run on the dataset's shape, the stand-in model is trained instead (its
bug is charged to the model checks, not again here), and the response says so.

A train() still training after ``runaway_epochs(max_epochs)`` passes over the training data is stopped
there (``_runaway``), and the model is measured as it was then: not stopping is part 3.1's rule
to charge (3.1 to 3.6), and the accuracy of what it trained is this check's.
"""

import os

import _probe_runtime as rt
import numpy as np
import torch
import _kit_data
from _model_support import model_class_for, model_module_for_training, model_notes
from _runaway import RanAway, runaway_epochs, stop_after


def logits_of(model, features):
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(features))
    return out.detach().float().reshape(len(features), -1)[:, 0].numpy()


def probe(request):
    _kit_data.stand_in_when_unusable()  # a broken dataset file is part 3.1's to charge
    # A model file that does not import: the stand-in model (charged by the model checks).
    model_module, formula_substituted, unimportable = model_module_for_training()
    training = rt.import_student("training_")
    train_loader = _kit_data.make_loader(os.path.join("data", "training"), request["batch_size"], shuffle=True,
                                         seed=request["seed"])
    val_loader = _kit_data.make_loader(os.path.join("data", "validation"), request["batch_size"])
    frames, mels = request["frames"], request["mels"]
    model_class, note = model_class_for(model_module, frames, mels)
    notes = model_notes(model_class, unimportable or note)
    rt.seed_everything(request["seed"])
    model = model_class(n_frames=frames, n_mels=mels)
    with stop_after(runaway_epochs(request["max_epochs"]), only=train_loader) as passes:
        try:
            history = training.train(model, train_loader, val_loader, max_epochs=request["max_epochs"])
        except RanAway:
            if not passes.tripped:
                raise  # the student's code raised it, not the counter: a failure like any other
            history = None
    names = sorted(os.listdir(os.path.join("data", "holdout")))
    features = np.stack([np.load(os.path.join("data", "holdout", n), allow_pickle=False)["features"] for n in names])
    rt.save_array("heldout_logits", logits_of(model, features))
    history = history if isinstance(history, dict) else {}
    curves = {}
    for key in ("train_losses", "val_losses"):
        values = history.get(key)
        try:
            curves[key] = [float(v) for v in values][:1000]
        except (TypeError, ValueError):
            curves[key] = []
    stop, best = history.get("stop_epoch"), history.get("best_epoch")
    return {
        "heldout_names": names,
        **notes,
        "formula_substituted": formula_substituted,
        "stop_epoch": stop if isinstance(stop, int) else None,
        "best_epoch": best if isinstance(best, int) else None,
        "stopped_after": passes.passes if passes.tripped else None,  # epochs trained
        **curves,
    }


rt.main(probe)
