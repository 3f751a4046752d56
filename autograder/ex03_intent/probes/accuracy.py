"""Train the student's own model with the student's own train(), then predict held-out clips.

Training uses the kit's own loaders (``ViewDataset``: a data-loading bug is charged to part 2
only) over the training and validation inputs of the student's INPUT_KIND. The held-out inputs
(the holdout split, which students never receive) arrive without labels, under anonymous names;
the probe returns the logits in file-name order and the trusted side scores them. When the
student's IntentCNN cannot run on the handout's input, the stand-in model is trained instead
(charged by the model checks, not again here), and the response says so. A train() still training
after ``runaway_epochs(max_epochs)`` passes over the training data is stopped there (``_runaway``)
and the model measured as it was then: not stopping is part 4's to charge.
"""

import os

import _probe_runtime as rt
import numpy as np
import torch
from _italic_support import TRAINING_PREFIX, build, chapter_accuracy_in_place, student_model, view_loader
from _runaway import RanAway, runaway_epochs, stop_after


def probe(request):
    kind, model_class, note = student_model(request["n_intents"])
    training = rt.import_student(TRAINING_PREFIX)
    chapter_accuracy_in_place(training)  # an accuracy() bug is 5.1's to charge
    root = kind  # the public view of that input kind
    train_loader = view_loader(os.path.join(root, "training"), request["batch_size"], shuffle=True, seed=request["seed"])
    val_loader = view_loader(os.path.join(root, "validation"), request["batch_size"])
    rt.seed_everything(request["seed"])
    model = build(model_class, request["n_intents"])
    with stop_after(runaway_epochs(request["max_epochs"]), only=train_loader) as passes:
        try:
            history = training.train(model, train_loader, val_loader, max_epochs=request["max_epochs"])
        except RanAway:
            if not passes.tripped:
                raise  # the student's code raised it, not the counter
            history = None
    names = sorted(os.listdir(os.path.join(root, "holdout")))
    inputs = np.stack([np.load(os.path.join(root, "holdout", n), allow_pickle=False)["features"] for n in names])
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(torch.as_tensor(inputs[i:i + 32])) for i in range(0, len(inputs), 32)])
    rt.save_array("heldout_logits", logits.detach().double().numpy())
    curve = history.get("val_accuracies") if isinstance(history, dict) else None
    try:
        curve = [float(v) for v in curve][:500]
    except (TypeError, ValueError):
        curve = []
    return {"heldout_names": names, "kind": kind, "stand_in": note, "val_accuracies": curve,
            "stopped_after": passes.passes if passes.tripped else None}


rt.main(probe)
