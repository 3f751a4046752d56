"""Build MyCNNSystem with grader-chosen settings and report what its forward pass does.

For each setting it records output shapes for (B, T, F) and (B, 1, T, F) input, finiteness,
which parameters got gradients, which module types were defined and executed (forward
hooks), which functional activations were called, and whether outputs change between two
passes in train and in eval mode (dropout).
"""

import _probe_runtime as rt
import torch
from torch.overrides import TorchFunctionMode

TRACKED_FUNCTIONS = {
    "relu": (torch.relu, torch.nn.functional.relu, torch.Tensor.relu),
    "sigmoid": (torch.sigmoid, torch.nn.functional.sigmoid, torch.Tensor.sigmoid),
}


class FunctionCalls(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.seen = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        for name, functions in TRACKED_FUNCTIONS.items():
            if func in functions:
                self.seen.add(name)
        return func(*args, **(kwargs or {}))


def module_report(model, run):
    """Run ``run()`` with hooks on every module; count defined and executed modules per type."""
    executed = set()
    hooks = []
    for name, module in model.named_modules():
        if module is model:
            continue
        # A forward hook that returns a value replaces the output: this one returns None.
        hooks.append(module.register_forward_hook(lambda m, i, o, n=name: executed.add(n)))
    calls = FunctionCalls()
    try:
        with calls:
            run()
    finally:
        for hook in hooks:
            hook.remove()
    modules = [
        {"name": name, "type": type(module).__name__,
         "bases": [c.__name__ for c in type(module).__mro__], "executed": name in executed}
        for name, module in model.named_modules() if module is not model
    ]
    return modules, sorted(calls.seen)


def shape_of(output):
    if isinstance(output, torch.Tensor):
        return list(output.shape), bool(torch.isfinite(output).all()), output.detach()
    raise rt.StudentCodeError(f"forward returned {type(output).__name__}, not a tensor")


def one_setting(cls, setting):
    kwargs, frames, batch = setting["kwargs"], setting["frames"], setting["batch"]
    mels = kwargs.get("n_mels", 40)
    report = {"kwargs": kwargs}
    model = cls(**kwargs)
    n_params = sum(p.numel() for p in model.parameters())
    report["n_params"] = n_params
    model.train()
    x = torch.rand(batch, frames, mels)
    holder = {}

    def forward_3d():
        holder["out"] = model(x)

    report["modules"], report["functions"] = module_report(model, forward_3d)
    report["shape_3d"], report["finite_3d"], out = shape_of(holder["out"])
    report["range_3d"] = [float(out.min()), float(out.max())] if out.numel() else [0.0, 0.0]
    # Gradients: every parameter should receive one from a scalar built from the output.
    model.zero_grad(set_to_none=True)
    holder["out"].float().sum().backward()
    report["no_grad"] = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    report["zero_grad"] = [
        n for n, p in model.named_parameters() if p.grad is not None and not bool(p.grad.abs().sum() > 0)
    ]
    report["shape_4d"], report["finite_4d"], _ = shape_of(model(x.unsqueeze(1)))
    # Dropout: two passes on the same input differ in train mode, agree in eval mode.
    with torch.no_grad():
        torch.manual_seed(1)
        a = model(x)
        torch.manual_seed(2)
        b = model(x)
        report["train_passes_differ"] = not torch.equal(a, b)
        model.eval()
        c, d = model(x), model(x)
        report["eval_passes_differ"] = not torch.equal(c, d)
        many = model(torch.rand(16, frames, mels))
        report["eval_range"] = [float(many.min()), float(many.max())]
    return report


def probe(request):
    module = rt.import_student("my_cnn_system_")
    cls = getattr(module, "MyCNNSystem", None)
    if cls is None:
        raise rt.StudentCodeError("my_cnn_system_<name>.py defines no class MyCNNSystem")
    reports = []
    for setting in request["settings"]:
        try:
            reports.append(one_setting(cls, setting))
        except Exception as error:
            reports.append({"kwargs": setting["kwargs"], "failure": rt.describe_error(error)})
    return {"settings": reports}


rt.main(probe)
