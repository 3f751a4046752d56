"""2. The forward pass of MyCNNSystem on torch.rand input, for grader-chosen settings."""

import pytest

from kit.grading.pytest_plugin import fail, note, require

# Module types the network must define and actually run in forward().
REQUIRED = {"Conv2d": 2, "BatchNorm2d": 2, "MaxPool2d": 2, "Dropout": 1, "Linear": 1}


def _settings(forward_reports):
    """Reports per setting; the first setting that failed to build or run fails the check."""
    reports = require(forward_reports, "building MyCNNSystem and running forward")["settings"]
    for report in reports:
        if "failure" in report:
            failure = report["failure"]
            fail(
                f"MyCNNSystem({_kwargs(report)}) on torch.rand input failed with "
                f"{failure['type']}: {failure['message']}\n{failure.get('where', '')}".rstrip()
                + _hint(report, failure)
            )
    return reports


def _kwargs(report):
    return ", ".join(f"{k}={v}" for k, v in report["kwargs"].items())


def _hint(report, failure):
    frames = report["kwargs"].get("n_frames")
    if "shapes cannot be multiplied" in failure["message"] and frames != 646:
        return (f"\nHint: the Linear layer's in_features does not fit T={frames}: compute it from "
                "n_frames and n_mels with conv_output_size instead of a fixed number.")
    return ""


def _check_shape(report, key, batch, request):
    shape = report[key]
    if shape == [batch, 1]:
        return
    if shape == [batch]:
        note(request, f"MyCNNSystem({_kwargs(report)}) returned shape ({batch},); accepted, "
                      f"but the contract is ({batch}, 1).")
        return
    layout = "(B, T, F)" if key == "shape_3d" else "(B, 1, T, F)"
    fail(f"MyCNNSystem({_kwargs(report)}) on {layout} input with B={batch}: "
         f"got output shape {tuple(shape)}, expected ({batch}, 1)")


@pytest.mark.points(2)
@pytest.mark.number("2.1")
def test_output_shape_3d(forward_reports, forward_settings, request):
    """Forward on (B, T, F) input gives finite (B, 1) logits, for several settings and T"""
    for report, setting in zip(_settings(forward_reports), forward_settings):
        _check_shape(report, "shape_3d", setting["batch"], request)
        if not report["finite_3d"]:
            fail(f"MyCNNSystem({_kwargs(report)}) produced NaN or inf on torch.rand input")


@pytest.mark.points(1)
@pytest.mark.number("2.2")
def test_output_shape_4d(forward_reports, forward_settings, request):
    """Forward on (B, 1, T, F) input gives finite (B, 1) logits"""
    for report, setting in zip(_settings(forward_reports), forward_settings):
        _check_shape(report, "shape_4d", setting["batch"], request)
        if not report["finite_4d"]:
            fail(f"MyCNNSystem({_kwargs(report)}) produced NaN or inf on (B, 1, T, F) input")


@pytest.mark.points(1)
@pytest.mark.number("2.3")
def test_every_parameter_gets_a_gradient(forward_reports):
    """Every parameter receives a gradient"""
    for report in _settings(forward_reports):
        if report["no_grad"]:
            fail(f"MyCNNSystem({_kwargs(report)}): these parameters got no gradient, so they are "
                 f"never used in forward: {', '.join(report['no_grad'])}")


@pytest.mark.points(2)
@pytest.mark.number("2.4")
def test_required_modules_are_used(forward_reports):
    """The network defines and runs 2x Conv2d, ReLU, BatchNorm2d, MaxPool2d, then Dropout and Linear"""
    for report in _settings(forward_reports):
        modules = report["modules"]
        unused = [f"{m['name']} ({m['type']})" for m in modules if not m["executed"] and _is_leaf_type(m)]
        if unused:
            fail(f"MyCNNSystem({_kwargs(report)}): defined but never executed in forward: {', '.join(unused)}")
        for required, count in REQUIRED.items():
            ran = sum(1 for m in modules if required in m["bases"] and m["executed"])
            if ran < count:
                fail(f"MyCNNSystem({_kwargs(report)}): got {ran} executed {required} module(s), "
                     f"expected at least {count}")
        relu_modules = sum(1 for m in modules if "ReLU" in m["bases"] and m["executed"])
        if relu_modules == 0 and "relu" not in report["functions"]:
            fail(f"MyCNNSystem({_kwargs(report)}): no ReLU was executed in forward")


def _is_leaf_type(module):
    """Containers are not called themselves when their children are called one by one."""
    return module["type"] not in {"Sequential", "ModuleList", "ModuleDict"}


@pytest.mark.points(1)
@pytest.mark.number("2.5")
def test_dropout_only_in_train_mode(forward_reports):
    """Dropout changes outputs in train mode only (eval mode is deterministic)"""
    for report in _settings(forward_reports):
        if report["eval_passes_differ"]:
            fail(f"MyCNNSystem({_kwargs(report)}): two passes in eval mode on the same input gave "
                 "different outputs; expected identical (dropout must be off in eval mode)")
        if not report["train_passes_differ"]:
            fail(f"MyCNNSystem({_kwargs(report)}): two passes in train mode on the same input gave "
                 "identical outputs; expected dropout to change them")


@pytest.mark.points(1)
@pytest.mark.number("2.6")
def test_returns_logits_not_probabilities(forward_reports):
    """forward returns logits: no sigmoid inside the model"""
    for report in _settings(forward_reports):
        sigmoid_modules = [m["name"] for m in report["modules"] if "Sigmoid" in m["bases"] and m["executed"]]
        low, high = report["eval_range"]
        if sigmoid_modules or "sigmoid" in report["functions"]:
            where = f" ({', '.join(sigmoid_modules)})" if sigmoid_modules else ""
            fail(f"MyCNNSystem({_kwargs(report)}) applies a sigmoid in forward{where}: got outputs in "
                 f"[{low:.3f}, {high:.3f}]. Return logits and let BCEWithLogitsLoss apply the sigmoid.")
