"""Run the student's test() on a scripted model whose logits the grader chose.

Each example's input carries its index, and the model returns the grader's logit for it,
so the trusted side knows the right accuracy. The loaders are real DataLoaders with
batches of unequal size. The model records its train/eval mode and whether gradients were
enabled at each call.
"""

import math
import numbers

import _kit_data
import _probe_runtime as rt
from _model_support import import_training_module
import torch
from torch import nn

FRAMES, MELS = 10, 40


class ScriptedModel(nn.Module):
    def __init__(self, logits, log):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.logits, self.log = torch.tensor(logits, dtype=torch.float32), log

    def forward(self, x):
        self.log.append([self.training, torch.is_grad_enabled()])
        index = x.reshape(x.shape[0], -1)[:, 0].round().long()
        return self.logits[index].reshape(-1, 1) + self.weight * 0.0


def describe(value):
    if isinstance(value, bool):
        return {"type": "bool", "value": None}
    if isinstance(value, numbers.Real):
        return {"type": type(value).__name__, "value": float(value)}
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return {"type": "Tensor", "value": float(value)}
    return {"type": type(value).__name__, "value": None}


def probe(request):
    _kit_data.stand_in_when_unusable()  # a broken dataset file is part 3.1's to charge
    module = import_training_module()  # and a broken or unrenamed model import the model checks' and 5.1's
    test = getattr(module, "test", None)
    if test is None:
        raise rt.StudentCodeError("training_<name>.py defines no function test")
    response = {"cases": run_cases(test, request, False)}
    if request.get("probabilities"):
        # Also on outputs in (0, 1), the sigmoid of the same logits: asked for a model whose forward
        # ends in a sigmoid (charged by 2.10), whose test() may read probabilities.
        response["cases_probabilities"] = run_cases(test, request, True)
    return response


def run_cases(test, request, probabilities):
    results = {}
    for case in request["cases"]:
        log = []
        logits, labels = case["logits"], case["labels"]
        x = torch.rand(len(logits), FRAMES, MELS, generator=torch.Generator().manual_seed(0))
        x[:, 0, 0] = torch.arange(len(logits), dtype=torch.float32)
        data = torch.utils.data.TensorDataset(x, torch.tensor(labels, dtype=torch.int64))
        loader = torch.utils.data.DataLoader(data, batch_size=case["batch_size"], shuffle=False)
        model = ScriptedModel([1 / (1 + math.exp(-v)) for v in logits] if probabilities else logits, log)
        model.train()  # as train() leaves it; test() must switch to eval mode itself
        try:
            results[case["id"]] = {"returned": describe(test(model, loader)), "modes": log[:50]}
        except Exception as error:
            results[case["id"]] = {"failure": rt.describe_error(error)}
        if not probabilities:
            rt.checkpoint({"cases": results})
    return results


rt.main(probe)
