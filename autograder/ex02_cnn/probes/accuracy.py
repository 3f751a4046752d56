"""Train the student's own model with the student's own train(), then predict held-out clips.

The held-out features arrive without labels, under anonymous names; the probe returns the
logits in file-name order and the trusted side scores them. It also runs the student's
test() on a small labelled loader made of training clips, for the test() check.
"""

import os

import _probe_runtime as rt
import music_speech_data as data
import numpy as np
import torch


def logits_of(model, features):
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(features))
    return out.detach().float().reshape(len(features), -1)[:, 0].numpy()


def probe(request):
    model_module = rt.import_student("my_cnn_system_")
    training = rt.import_student("training_")
    train_loader, val_loader, _ = data.make_loaders("data", batch_size=request["batch_size"], seed=request["seed"])
    frames, mels = request["frames"], request["mels"]
    model = model_module.MyCNNSystem(n_frames=frames, n_mels=mels)
    history = training.train(model, train_loader, val_loader, max_epochs=request["max_epochs"])
    names = sorted(os.listdir(os.path.join("data", "testing")))
    test_features = np.stack([np.load(os.path.join("data", "testing", n), allow_pickle=False)["features"] for n in names])
    rt.save_array("test_logits", logits_of(model, test_features))
    # test(): on a labelled loader the trusted side can check (validation clips, not held out).
    val_batches = list(val_loader)
    rt.save_array("val_logits", logits_of(model, torch.cat([x for x, _ in val_batches]).numpy()))
    rt.save_array("val_labels", torch.cat([y for _, y in val_batches]).numpy())
    student_accuracy = training.test(model, val_loader)
    stop = history.get("stop_epoch") if isinstance(history, dict) else None
    return {
        "test_names": names,
        "student_val_accuracy": float(student_accuracy) if isinstance(student_accuracy, (int, float, np.floating, torch.Tensor)) else repr(student_accuracy),
        "stop_epoch": stop if isinstance(stop, int) else None,
    }


rt.main(probe)
