"""Part 5: the student's accuracy, macro_f1 and confusion_matrix on grader-chosen predictions, and
evaluate() with a scripted model over a loader of unequal batches.

The scripted model returns the request's logits for the examples it is given (each example's
index is in its input) and records train/eval and grad mode of every call.
"""

import _probe_runtime as rt
import torch
from _italic_support import TRAINING_PREFIX, first_line, jsonable
from torch import nn


class ScriptedLogits(nn.Module):
    def __init__(self, logits, log):
        super().__init__()
        self.logits, self.log = torch.tensor(logits), log
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        self.log.append([self.training, torch.is_grad_enabled()])
        index = x.reshape(len(x), -1)[:, 0].round().long()
        return self.logits[index] + self.weight * 0.0


def _tensor(values, ndim, what, function):
    values = torch.as_tensor(values)
    if values.ndim != ndim:
        raise ValueError(f"{function}() was given {what} of shape {tuple(values.shape)}; it takes {ndim}-D {what}")
    return values


# Stand-ins with the handout's signatures for evaluate() to call when one of the student's metric
# functions raised: evaluate()'s own logic is then judged (5.4), the functions by their own checks
# (5.1 to 5.3). They take exactly what the handout says (a call with logits where predictions are
# due still fails), and compute with scikit-learn, as the checks' expected values do.
def _accuracy(logits, targets):
    return (_tensor(logits, 2, "logits", "accuracy").argmax(dim=1)
            == _tensor(targets, 1, "targets", "accuracy")).float().mean().item()


def _confusion_matrix(predictions, targets, n_classes):
    from sklearn.metrics import confusion_matrix

    return torch.as_tensor(confusion_matrix(_tensor(targets, 1, "targets", "confusion_matrix").numpy(),
                                            _tensor(predictions, 1, "predictions", "confusion_matrix").numpy(),
                                            labels=range(n_classes)))


def _macro_f1(predictions, targets, n_classes):
    from sklearn.metrics import f1_score

    return float(f1_score(_tensor(targets, 1, "targets", "macro_f1").numpy(),
                          _tensor(predictions, 1, "predictions", "macro_f1").numpy(),
                          average="macro", labels=range(n_classes), zero_division=0))


HANDOUT_METRICS = {"accuracy": _accuracy, "macro_f1": _macro_f1, "confusion_matrix": _confusion_matrix}


def call(function, *args):
    try:
        return {"value": jsonable(function(*args))}
    except Exception as error:  # noqa: BLE001 - the student's code
        return {"error": first_line(error)}


def probe(request):
    training = rt.import_student(TRAINING_PREFIX)
    response = {}
    for name in ("accuracy", "macro_f1", "confusion_matrix"):
        function = getattr(training, name, None)
        if function is None:
            response[name] = None
            continue
        results = []
        for case in request["cases"]:
            targets = torch.tensor(case["targets"])
            if name == "accuracy":
                results.append(call(function, torch.tensor(case["logits"]), targets))
            else:
                predictions = torch.tensor(case["logits"]).argmax(dim=1)
                results.append(call(function, predictions, targets, case["n_classes"]))
        response[name] = results
    evaluate = getattr(training, "evaluate", None)
    if evaluate is not None:
        case = request["evaluate"]
        log = []
        model = ScriptedLogits(case["logits"], log)
        model.train()
        x = torch.zeros(len(case["targets"]), 3, 2)
        x[:, 0, 0] = torch.arange(len(case["targets"]), dtype=torch.float32)
        data = torch.utils.data.TensorDataset(x, torch.tensor(case["targets"]))
        loader = torch.utils.data.DataLoader(data, batch_size=case["batch_size"], shuffle=False)
        response["evaluate"] = call(evaluate, model, loader, case["n_classes"])
        response["evaluate_modes"] = log[:20]
        # What the student's own metric functions say on the same examples: evaluate() is judged on
        # its own logic, its metric functions by their own checks.
        logits, targets = torch.tensor(case["logits"]), torch.tensor(case["targets"])
        own = {}
        for name, args in (("accuracy", (logits, targets)),
                           ("macro_f1", (logits.argmax(dim=1), targets, case["n_classes"])),
                           ("confusion", (logits.argmax(dim=1), targets, case["n_classes"]))):
            function = getattr(training, "confusion_matrix" if name == "confusion" else name, None)
            if function is not None:
                own[name] = call(function, *args)
        response["evaluate_own_metrics"] = {name: result.get("value") for name, result in own.items()}
        if "error" in response["evaluate"] and any("error" in result for result in own.values()):
            # One of the student's metric functions raised on these examples: evaluate() again with
            # the handout's in their place, so that a crash that comes from them is not charged twice.
            for name, function in HANDOUT_METRICS.items():
                if hasattr(training, name):
                    setattr(training, name, function)
            log.clear()
            model.train()
            response["evaluate_with_correct_metrics"] = call(evaluate, model, loader, case["n_classes"])
            response["evaluate_modes"] = log[:20]
    return response


rt.main(probe)
