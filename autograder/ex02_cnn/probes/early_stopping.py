"""Run the student's train() on a scripted model whose validation loss is chosen per epoch.

The scripted model outputs a constant logit; during validation it is the logit whose
BCEWithLogitsLoss against label 1 equals the scripted loss of the current epoch. The
current epoch is the number of times the training loader has been iterated. At the start
of each epoch the model's ``epoch_marker`` buffer is set to the epoch, so the weights left
in the model after train() show which epoch's state_dict was restored.
"""

import math

import _probe_runtime as rt
import torch
from torch import nn

FRAMES, MELS, BATCH = 12, 40, 4


class ScriptedModel(nn.Module):
    def __init__(self, losses):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.register_buffer("epoch_marker", torch.zeros((), dtype=torch.float32))
        self.losses = losses
        self.epoch = 0
        self.validating = False

    def logit(self):
        loss = self.losses[min(max(self.epoch, 1), len(self.losses)) - 1]
        if loss is None or math.isnan(loss):
            return float("nan")
        return -math.log(math.expm1(loss))  # softplus(-z) == loss

    def forward(self, x):
        batch = x.shape[0]
        base = torch.full((batch, 1), self.logit() if self.validating else 0.0)
        return base + self.weight * 0.0 + (x.reshape(batch, -1).mean(dim=1, keepdim=True) * 0.0)


class ScriptedLoader:
    def __init__(self, model, validation, epochs_seen):
        self.model, self.validation, self.epochs_seen = model, validation, epochs_seen
        generator = torch.Generator().manual_seed(0)
        self.batches = [
            (torch.rand(BATCH, FRAMES, MELS, generator=generator), torch.ones(BATCH, dtype=torch.int64))
            for _ in range(2 if not validation else 1)
        ]
        # Students often average with len(loader.dataset): give it the right length.
        self.dataset = [(x[i], y[i]) for x, y in self.batches for i in range(len(y))]
        self.batch_size = BATCH

    def __iter__(self):
        if self.validation:
            self.model.validating = True
            self.epochs_seen["val_passes"] += 1
        else:
            self.model.validating = False
            self.model.epoch += 1
            self.epochs_seen["train_passes"] += 1
            with torch.no_grad():
                self.model.epoch_marker.fill_(self.model.epoch)
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def jsonable(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return repr(value)[:200]


def one_case(train, case):
    model = ScriptedModel(case["losses"])
    seen = {"train_passes": 0, "val_passes": 0}
    train_loader = ScriptedLoader(model, False, seen)
    val_loader = ScriptedLoader(model, True, seen)
    model.validating = False
    history = train(model, train_loader, val_loader, max_epochs=case["max_epochs"],
                    patience=case["patience"], min_delta=case["min_delta"], lr=1e-3, device="cpu")
    if not isinstance(history, dict):
        raise rt.StudentCodeError(f"train() returned {type(history).__name__}, not a dict")
    return {
        "history": {str(k): jsonable(v) for k, v in history.items()},
        "train_passes": seen["train_passes"],
        "val_passes": seen["val_passes"],
        "restored_epoch": float(model.epoch_marker),
    }


def probe(request):
    module = rt.import_student("training_")
    train = getattr(module, "train", None)
    if train is None:
        raise rt.StudentCodeError("training_<name>.py defines no function train")
    results = []
    for case in request["cases"]:
        try:
            results.append(one_case(train, case))
        except Exception as error:
            results.append({"failure": rt.describe_error(error)})
    return {"cases": results}


rt.main(probe)
