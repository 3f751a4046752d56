"""Run the student's train() on scripted models whose validation predictions are chosen per epoch.

The validation loader gives 7 examples in two batches (4, then 3); each example's index is in its
input, so the scripted model makes exactly the chosen examples right in each epoch (request
``cases[].correct[epoch - 1]``: indices) with the chosen confidence (``confidence[epoch - 1]``,
the logit margin, which sets the validation loss). The current epoch is the number of passes
over the training loader; the model's ``epoch_marker`` buffer holds it, so the weights left in
the model after train() show which epoch's state_dict was restored.

Training batches get logits that depend on one weight vector only, so the first batch's gradient
shows the loss function. Recorded per case: train/eval and grad mode of every forward call, the
passes over each loader, whether a gradient was left over from the previous batch (never
zeroed), the optimizers created (type, lr), what train() returned.
"""

import inspect

import _probe_runtime as rt
import torch
from _italic_support import TRAINING_PREFIX, chapter_accuracy_in_place, first_line, jsonable
from _optimizer_log import OptimizerLog
from _runaway import RanAway, runaway_epochs
from torch import nn

N_CLASSES, VAL_LABELS, TRAIN_LABELS = 4, [0, 1, 2, 3, 1, 2, 0], [0, 0, 0, 1, 1, 2, 3, 3]


class ScriptedModel(nn.Module):
    """``outputs``: "logits", or the softmax or log-softmax of them, as the student's own model returns."""

    def __init__(self, correct, confidence, log, outputs="logits"):
        super().__init__()
        self.outputs = outputs
        self.weight = nn.Parameter(torch.zeros(N_CLASSES))
        self.register_buffer("epoch_marker", torch.zeros((), dtype=torch.float32))
        self.correct, self.confidence, self.log = correct, confidence, log
        self.epoch, self.validating = 0, False
        self.weight.register_hook(self._gradient)

    def _gradient(self, grad):
        if not self.log["first_gradient"]:
            self.log["first_gradient"] = grad.detach().tolist()
        leftover = self.weight.grad
        self.log["accumulated"] |= leftover is not None and bool(leftover.abs().sum() > 0)
        return grad

    def forward(self, x):
        batch = x.shape[0]
        flat = x.reshape(batch, -1)
        zero = flat.mean(dim=1, keepdim=True) * 0.0
        if self.validating:
            self.log["val_modes"].append([self.training, torch.is_grad_enabled()])
            epoch = min(max(self.epoch, 1), len(self.correct))
            right, margin = set(self.correct[epoch - 1]), self.confidence[epoch - 1]
            logits = torch.zeros(batch, N_CLASSES)
            for row, index in enumerate(flat[:, 0].round().long().tolist()):
                label = VAL_LABELS[index]
                logits[row, label if index in right else (label + 1) % N_CLASSES] = margin
            return self.squash(logits + self.weight * 0.0 + zero)
        self.log["train_modes"].append([self.training, torch.is_grad_enabled()])
        return self.squash(self.weight.expand(batch, N_CLASSES) + zero)

    def squash(self, logits):
        if self.outputs == "probabilities":
            return torch.softmax(logits, dim=1)
        if self.outputs == "log_probabilities":
            return torch.log_softmax(logits, dim=1)
        return logits


class Loader:
    """A real DataLoader over fixed tensors that tells the model which epoch and pass it is."""

    def __init__(self, model, validation, seen):
        self.model, self.validation, self.seen = model, validation, seen
        if validation:
            x = torch.rand(7, 6, 5, generator=torch.Generator().manual_seed(0))
            x[:, 0, 0] = torch.arange(7, dtype=torch.float32)
            data = torch.utils.data.TensorDataset(x, torch.tensor(VAL_LABELS))
            self.loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False)
        else:
            x = torch.rand(8, 6, 5, generator=torch.Generator().manual_seed(1))
            data = torch.utils.data.TensorDataset(x, torch.tensor(TRAIN_LABELS))
            self.loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False)
        self.dataset, self.batch_size = self.loader.dataset, self.loader.batch_size

    def __iter__(self):
        if self.validation:
            self.model.validating = True
            self.seen["val_passes"] += 1
        else:
            if self.seen["train_passes"] >= self.seen["runaway"]:
                raise RanAway(f"still training after {self.seen['runaway']} epochs")
            self.model.validating = False
            self.model.epoch += 1
            self.seen["train_passes"] += 1
            with torch.no_grad():
                self.model.epoch_marker.fill_(self.model.epoch)
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)


def run_case(train, case, outputs):
    log = {"train_modes": [], "val_modes": [], "accumulated": False, "first_gradient": None}
    seen = {"train_passes": 0, "val_passes": 0, "runaway": runaway_epochs(case["max_epochs"])}
    model = ScriptedModel(case["correct"], case["confidence"], log, outputs)
    keywords = inspect.signature(train).parameters
    kwargs = {"max_epochs": case["max_epochs"]}
    if "lr" in keywords:
        kwargs["lr"] = case["lr"]
    report = {"id": case["id"]}
    with OptimizerLog() as optimizers:
        try:
            returned = train(model, Loader(model, False, seen), Loader(model, True, seen), **kwargs)
            report["returned"] = jsonable(returned)
        except RanAway:
            report["ran_away"] = True
        except Exception as error:  # noqa: BLE001 - the student's code
            report["error"] = first_line(error)
            report["traceback"] = rt.student_traceback(error)[-1500:]
    report.update(restored_epoch=int(model.epoch_marker.item()), optimizers=optimizers.created[:5],
                  train_modes=log["train_modes"][:20], val_modes=log["val_modes"][:20],
                  accumulated=log["accumulated"], first_gradient=log["first_gradient"],
                  train_passes=seen["train_passes"], val_passes=seen["val_passes"],
                  lr_accepted="lr" in keywords)
    return report


def probe(request):
    training = rt.import_student(TRAINING_PREFIX)
    if not callable(getattr(training, "train", None)):
        raise rt.StudentCodeError(f"{rt.find_student_file(TRAINING_PREFIX).rsplit('/', 1)[-1]} has no train() function")
    substituted = chapter_accuracy_in_place(training)
    reports = []
    for case in request["cases"]:
        torch.manual_seed(0)
        reports.append(run_case(training.train, case, request.get("outputs", "logits")))
        rt.checkpoint({"cases": reports, "accuracy_substituted": substituted})
    return {"cases": reports, "accuracy_substituted": substituted}


rt.main(probe)
