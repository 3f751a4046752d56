"""Call conv_output_size on grader-chosen arguments, then build MyCNNSystem with grader-chosen
settings and report what its forward pass does.

Per setting: whether it builds and runs, output shapes and finiteness for (B, T, F),
(B, 1, T, F) and a batch of one, the operations forward executes (with their settings and
shapes), which modules never ran, which parameters got no gradient, whether the output
depends on the input, what other input dimensions raise, and whether two passes differ in
train and in eval mode (dropout). Each step is reported on its own, so one failing step
does not hide the others. The formula's results are checkpointed before the model is built.
"""

import numbers

import _probe_runtime as rt
import torch
from _model_support import (CHANNEL_NOTE, REPAIR_NOTE, OpRecorder, forward_adaptations, load_model_module,
                            required_arguments, with_handout_defaults)


def formula_report(function, cases):
    values, types, failures = [], [], {}
    for index, args in enumerate(cases):
        try:
            value = function(*args)
        except Exception as error:
            values.append(None)
            types.append("error")
            failures[str(index)] = rt.describe_error(error)
            continue
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            values.append(int(value))
            types.append("int")
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            values.append(float(value))
            types.append(type(value).__name__)
        else:
            values.append(None)
            types.append(type(value).__name__)
    return {"values": values, "types": types, "failures": failures}


def step(report, name, action):
    """Run one step; a failure is recorded under ``failures[name]`` and the others go on."""
    try:
        return action()
    except Exception as error:
        report.setdefault("failures", {})[name] = rt.describe_error(error)
        return None


def output_shape(output):
    if not isinstance(output, torch.Tensor):
        raise rt.StudentCodeError(f"forward returned {type(output).__name__}, not a tensor")
    return list(output.shape)


def executed_modules(model, run):
    """Run ``run()`` with forward hooks; the names of the modules that executed."""
    executed, hooks = set(), []
    for name, module in model.named_modules():
        if module is not model:
            hooks.append(module.register_forward_hook(lambda m, i, o, n=name: executed.add(n)))
    try:
        run()
    finally:
        for hook in hooks:
            hook.remove()
    return executed


def one_setting(cls, setting):
    kwargs, frames, batch = setting["kwargs"], setting["frames"], setting["batch"]
    mels = kwargs.get("n_mels", 40)
    report = {"kwargs": kwargs, "ran": False}
    model = step(report, "build", lambda: cls(**kwargs))
    missing = [name for name in required_arguments(cls) if name not in kwargs]
    if model is None and missing:
        # A constructor without the handout's defaults is charged once (2.4); the other checks
        # judge the model built with them.
        report["defaults_filled"] = missing
        cls = with_handout_defaults(cls)
        model = step(report, "build_with_defaults", lambda: cls(**kwargs))
        if model is not None:
            report["failures"]["build_as_written"] = report["failures"].pop("build")
    if model is None:
        return report
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(batch, frames, mels, generator=generator)
    holder = {}

    def recorded_forward(candidate):
        """The modules a train-mode forward of ``candidate`` on ``x`` executed, and its operations."""
        recorder = OpRecorder()

        def forward_train():
            candidate.train()
            with recorder:
                holder["out"] = candidate(x)

        return step(report, "forward", lambda: executed_modules(candidate, forward_train)), recorder.ops

    executed, report["ops"] = recorded_forward(model)
    changes = []
    if executed is None:
        # The student's class adapted, least change first (_model_support.forward_adaptations):
        # each change is charged by its own check, and the others judge the model that runs.
        as_written = report["failures"].pop("forward")
        for adapted, how in forward_adaptations(cls, frames, mels):
            candidate = step(report, "build_adapted", lambda: adapted(**kwargs))
            if candidate is not None:
                executed, ops = recorded_forward(candidate)
                if executed is not None:
                    model, report["ops"], changes = candidate, ops, how
                    break
            report["failures"].pop("build_adapted", None)
            report["failures"].pop("forward", None)
        if executed is None:
            report["failures"]["forward"] = as_written
            return report
        report["failures"]["forward_as_written"] = as_written
    report["channel_axis_added"] = CHANNEL_NOTE in changes
    report["repaired"] = getattr(model, "repaired_by_grader", []) if REPAIR_NOTE in changes else []
    report["ran_as_written"] = not report.get("repaired") and not report.get("defaults_filled")
    out = holder["out"]
    shape = step(report, "forward", lambda: output_shape(out))
    if shape is None:
        return report
    report.update(ran=True, shape_3d=shape, finite_3d=bool(torch.isfinite(out).all()))
    unused = [(name, module) for name, module in model.named_modules()
              if module is not model and name not in executed and not list(module.children())]
    report["unused_with_params"] = [f"{n} ({type(m).__name__})" for n, m in unused if list(m.parameters(recurse=False))]
    report["unused_without_params"] = [f"{n} ({type(m).__name__})" for n, m in unused if not list(m.parameters(recurse=False))]
    # Gradients reach every parameter of the modules that ran (unused modules are reported above).
    ran_params = [(f"{name}.{p_name}" if name else p_name, p)
                  for name, module in model.named_modules() if name in executed or module is model
                  for p_name, p in module.named_parameters(recurse=False) if p.requires_grad]

    def gradients():
        model.zero_grad(set_to_none=True)
        out.float().sum().backward()
        report["no_grad"] = [n for n, p in ran_params if p.grad is None]
        report["zero_grad"] = [n for n, p in ran_params if p.grad is not None and not bool(p.grad.abs().sum() > 0)]

    step(report, "gradients", gradients)

    def eval_checks():
        model.eval()
        with torch.no_grad():
            many = model(torch.rand(16, frames, mels, generator=generator))
            report["eval_range"] = [float(many.min()), float(many.max())]
            report["eval_spread"] = float((many.max() - many.min()).abs())
            c, d = model(x), model(x)
            report["eval_passes_differ"] = not torch.equal(c, d)

    step(report, "eval", eval_checks)

    def four_d():
        # Same seed for both passes: a dropout that wrongly acts in eval mode is 2.9's, not this check's.
        model.eval()
        with torch.no_grad():
            torch.manual_seed(3)
            out3 = model(x)
            torch.manual_seed(3)
            out4 = model(x.unsqueeze(1))
        report["shape_4d"] = output_shape(out4)
        report["same_4d"] = bool(out4.reshape(-1).shape == out3.reshape(-1).shape
                                 and torch.allclose(out4.reshape(-1), out3.reshape(-1), atol=1e-5, rtol=1e-4))

    step(report, "4d", four_d)

    def batch_of_one():
        with torch.no_grad():
            report["shape_batch_one"] = output_shape(model(x[:1]))

    step(report, "batch_one", batch_of_one)

    def other_dims():
        raised = {}
        for label, bad in (("2-D", torch.rand(frames, mels)), ("5-D", torch.rand(1, 1, 1, frames, mels))):
            try:
                with torch.no_grad():
                    model(bad)
                raised[label] = None
            except Exception as error:
                raised[label] = {"type": type(error).__name__, "message": str(error)[:300]}
        report["other_dims"] = raised

    step(report, "other_dims", other_dims)

    def dropout_passes():
        model.train()
        with torch.no_grad():
            torch.manual_seed(1)
            a = model(x)
            torch.manual_seed(2)
            b = model(x)
        report["train_passes_differ"] = not torch.equal(a, b)

    step(report, "dropout", dropout_passes)
    return report


def probe(request):
    module, substituted = None, False
    payload = {}
    module = rt.import_student("my_cnn_system_")
    function = getattr(module, "conv_output_size", None)
    if function is None:
        payload["formula"] = {"missing": "my_cnn_system_<name>.py defines no function conv_output_size"}
    else:
        payload["formula"] = formula_report(function, request["formula_cases"])
    rt.checkpoint(payload)
    module, substituted = load_model_module()
    payload["formula_substituted"] = substituted
    cls = getattr(module, "MyCNNSystem", None)
    if cls is None:
        payload["model_missing"] = "my_cnn_system_<name>.py defines no class MyCNNSystem"
        return payload
    payload["settings"] = []
    for setting in request["settings"]:
        payload["settings"].append(one_setting(cls, setting))
        rt.checkpoint(payload)
    return payload


rt.main(probe)
