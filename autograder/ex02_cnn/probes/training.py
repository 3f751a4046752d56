"""Run the student's train() on a scripted model whose validation loss is chosen per epoch.

The scripted model reads which example it sees from the input, so every validation example
gets a chosen logit: the validation loader has two batches of unequal size (3 and 1, label 0) whose
per-example losses are 2L/3 and 2L, so that the mean over examples is the scripted loss L
of the epoch while a mean over batches is not. The current epoch is the number of times the
training loader has been iterated. At the start of each epoch the model's ``epoch_marker``
buffer is set to the epoch, so the weights left in the model after train() show which
epoch's state_dict was restored.

It also records, per case: the train/eval mode and grad mode of every forward call, the
optimizers train() created (type and lr), and whether a gradient was left over from the
previous batch when the next backward ran (gradients never zeroed).
"""

import inspect
import math

import _kit_data
import _probe_runtime as rt
from _model_support import import_training_module
import torch
from _optimizer_log import OptimizerLog
from _runaway import RanAway, runaway_epochs
from torch import nn

FRAMES, MELS = 12, 40


def logit_for_loss(loss):
    """The logit z with BCEWithLogits(z, 0) == loss (softplus(z) == loss); +inf gives an infinite loss."""
    if loss is None or math.isnan(loss):
        return float("nan")
    if math.isinf(loss):
        return float("inf")
    return math.log(math.expm1(loss))


def parse_loss(value):
    return float(value) if isinstance(value, str) else value


# What torch's BCELoss (and F.binary_cross_entropy) raise on an input outside [0, 1]: the
# student's train() computes its loss on probabilities, for a model that ends in a sigmoid.
NEEDS_PROBABILITIES = "between 0 and 1"


class ScriptedModel(nn.Module):
    """``probabilities``: return sigmoid(logit) instead of the logit, for a train() whose loss
    takes probabilities (BCELoss); BCELoss(sigmoid(z), 0) is the same loss as BCEWithLogits(z, 0)."""

    def __init__(self, losses, log, probabilities=False):
        super().__init__()
        self.probabilities = probabilities
        self.weight = nn.Parameter(torch.zeros(1))
        self.register_buffer("epoch_marker", torch.zeros((), dtype=torch.float32))
        self.losses, self.log = losses, log
        self.epoch = 0
        self.validating = False
        self.fresh_grads = []
        self.weight.register_hook(self._fresh_gradient)

    def _fresh_gradient(self, grad):
        self.fresh_grads.append(grad.detach().clone())
        # The gradient left in .grad by the previous backward, if nobody zeroed it.
        leftover = self.weight.grad
        self.log["accumulated"] |= leftover is not None and bool(leftover.abs().sum() > 0)
        return grad

    def scripted_loss(self):
        return self.losses[min(max(self.epoch, 1), len(self.losses)) - 1]

    def forward(self, x):
        batch = x.shape[0]
        flat = x.reshape(batch, -1)
        if self.validating:
            self.log["val_modes"].append([self.training, torch.is_grad_enabled()])
            loss = self.scripted_loss()
            per_example = [2 * loss / 3 if flag < 0.5 else 2 * loss for flag in flat[:, 0].tolist()]
            logits = torch.tensor([[logit_for_loss(v)] for v in per_example])
            return self.squash(logits + self.weight * 0.0 + flat.mean(dim=1, keepdim=True) * 0.0)
        self.log["train_modes"].append([self.training, torch.is_grad_enabled()])
        # Training: a logit that depends on the weight, so that every batch has a gradient.
        return self.squash(self.weight.expand(batch, 1) + flat.mean(dim=1, keepdim=True) * 0.0)

    def squash(self, logits):
        return torch.sigmoid(logits) if self.probabilities else logits


class Loader:
    """A real DataLoader over fixed tensors; it tells the model which epoch and pass it is."""

    def __init__(self, model, validation, seen, runaway):
        self.model, self.validation, self.seen, self.runaway = model, validation, seen, runaway
        generator = torch.Generator().manual_seed(0)
        if validation:
            x = torch.rand(4, FRAMES, MELS, generator=generator)
            x[:, 0, 0] = torch.tensor([0.0, 0.0, 0.0, 1.0])  # flags: batch of 3, then batch of 1
            # Label 0 (speech): BCEWithLogits(+inf, 0) is inf, while BCEWithLogits(-inf, 1) is NaN in torch.
            data = torch.utils.data.TensorDataset(x, torch.zeros(4, dtype=torch.int64))
            self.loader = torch.utils.data.DataLoader(data, batch_size=3, shuffle=False)
        else:
            x = torch.rand(8, FRAMES, MELS, generator=generator)
            data = torch.utils.data.TensorDataset(x, torch.ones(8, dtype=torch.int64))
            self.loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False)
        self.dataset, self.batch_size = self.loader.dataset, self.loader.batch_size

    def __iter__(self):
        if self.validation:
            self.model.validating = True
            self.seen["val_passes"] += 1
        else:
            # A train() still training runaway_epochs(max_epochs) (100) epochs into a table never
            # stops: every table's losses stop improving by epoch 10 and its max_epochs is at most
            # 30. Stopping it here, instead of at the probe's time limit, leaves the other tables
            # to be run and the checks of what train() did on the way (modes, optimizer, gradients).
            if self.seen["train_passes"] >= self.runaway:
                raise RanAway(f"still training after {self.runaway} epochs")
            self.model.validating = False
            self.model.epoch += 1
            self.seen["train_passes"] += 1
            with torch.no_grad():
                self.model.epoch_marker.fill_(self.model.epoch)
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)


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


def accepted_keywords(function, keywords, needed):
    """(the ``keywords`` ``function``'s signature takes, the ``needed`` ones it does not take).

    min_delta, lr and device are the skeleton's parameters, but a train() without one of them
    is judged by the check of that rule alone (3.3 for min_delta, 3.8 for lr) rather than by
    every check that calls train(): a keyword the signature lacks is left out where the case
    does not depend on it (min_delta 0, lr, device); where it does, the case is not run.
    """
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return dict(keywords), []  # no signature to read (a builtin or a C function): pass them all
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(keywords), []
    return ({k: v for k, v in keywords.items() if k in parameters},
            sorted(k for k in needed if k not in parameters))


def one_case(train, case, lr, probabilities=False):
    losses = [parse_loss(v) for v in case["losses"]]
    if probabilities and any(not math.isfinite(v) for v in losses if v is not None):
        # BCELoss clamps its log at -100, so no probability gives an infinite loss, and it refuses
        # NaN input: a non-finite validation loss cannot be scripted for a loss on probabilities.
        return {"not_applicable": "a non-finite loss cannot be scripted for a loss on probabilities"}
    log = {"val_modes": [], "train_modes": [], "accumulated": False}
    model = ScriptedModel(losses, log, probabilities)
    seen = {"train_passes": 0, "val_passes": 0}
    runaway = runaway_epochs(case["max_epochs"])
    train_loader, val_loader = Loader(model, False, seen, runaway), Loader(model, True, seen, runaway)
    keywords, missing = accepted_keywords(train, {"min_delta": case["min_delta"], "lr": lr, "device": "cpu"},
                                          needed={"min_delta"} if case["min_delta"] else set())
    if missing:
        return {"missing_parameter": missing[0]}
    ran_away = False
    with OptimizerLog() as optimizers:
        try:
            history = train(model, train_loader, val_loader, max_epochs=case["max_epochs"],
                            patience=case["patience"], **keywords)
        except RanAway:
            history, ran_away = None, True
    result = {
        "ran_away": ran_away,
        "takes_lr": "lr" in keywords,
        "history_type": type(history).__name__,
        "train_passes": seen["train_passes"],
        "val_passes": seen["val_passes"],
        "restored_epoch": float(model.epoch_marker),
        "val_modes": log["val_modes"][:50],
        "train_modes": log["train_modes"][:50],
        "optimizers": optimizers.created[:5],
        "backward_passes": len(model.fresh_grads),
        "accumulated": log["accumulated"],
    }
    if isinstance(history, dict):
        result["history"] = {str(k): jsonable(v) for k, v in history.items()}
        result["element_types"] = {
            str(k): [type(item).__name__ for item in v][:50]
            for k, v in history.items() if isinstance(v, (list, tuple))
        }
        result["value_types"] = {str(k): type(v).__name__ for k, v in history.items()}
    return result


def probe(request):
    _kit_data.stand_in_when_unusable()  # a broken dataset file is part 3.1's to charge
    module = import_training_module()  # and a broken or unrenamed model import the model checks' and 5.1's
    train = getattr(module, "train", None)
    if train is None:
        raise rt.StudentCodeError("training_<name>.py defines no function train")
    return run_cases(train, request, None)


def run_cases(train, request, probabilities):
    """Every table; ``probabilities``: the failure that showed train()'s loss needs them."""
    results = {}
    for case in request["cases"]:
        try:
            results[case["id"]] = one_case(train, case, request["lr"], probabilities is not None)
        except Exception as error:
            failure = rt.describe_error(error)
            if probabilities is None and NEEDS_PROBABILITIES in failure["message"]:
                # Charged once (3.6, the loss); every table is run again with outputs in (0, 1).
                probabilities = failure
                return run_cases(train, request, probabilities)
            results[case["id"]] = {"failure": failure}
        rt.checkpoint({"cases": results, "probabilities": probabilities})
    return {"cases": results, "probabilities": probabilities}


rt.main(probe)
