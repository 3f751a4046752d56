"""2. MyCNNSystem: what its forward pass computes, for grader-chosen settings and T.

Each property is its own test, judged on the settings where the model builds and runs;
a setting where it does not is charged once, to 2.4, with its cause. The operations that
forward executes are recorded (modules, functional calls and nn.Sequential alike), so the
structure, the layers' settings and the time x mel layout are judged by what the network
computes, not by which classes it instantiates.
"""

import pytest
from probe_schemas import ModelResponse

from kit.grader import Scenarios, describe_failure, fail, note, require

BLOCK = ["conv", "relu", "batch_norm", "max_pool"]
EXPECTED_SEQUENCE = BLOCK + BLOCK + ["dropout", "linear"]
# Judged by their own tests (2.10 sigmoid), not as part of the structure.
NOT_STRUCTURE = {"sigmoid", "squash"}


def _kwargs(report):
    return ", ".join(f"{k}={v}" for k, v in report["kwargs"].items())


def _model(report):
    return f"MyCNNSystem({_kwargs(report)})"


def _reports(model_probe):
    response = require(model_probe, "building MyCNNSystem and running forward", partial=True, schema=ModelResponse)
    if "model_missing" in response:
        fail(response["model_missing"])
    reports = response.get("settings")
    if not reports:
        fail(f"building MyCNNSystem and running forward: {model_probe.describe()}")
    return reports, response


def _running(model_probe):
    """The settings where the model builds and runs; fail (once per test) if there are none."""
    reports, response = _reports(model_probe)
    running = [r for r in reports if r.get("ran")]
    if not running:
        first = reports[0]
        cause = first.get("failures", {}).get("build") or first.get("failures", {}).get("forward")
        fail(describe_failure(cause, doing=f"{_model(first)} on torch.rand input") if cause
             else f"{_model(first)} did not run: {model_probe.describe()}")
    return running


def _nothing_to_judge(report, what: str) -> None:
    """Fail a check whose property holds only because forward uses no layer at all (a constant
    output such as torch.zeros(B, 1)): such a property earns nothing. The missing layers are
    charged by 2.5 and the constant output by 2.8; this check names them and adds no rule."""
    if report.get("ran") and not any(op["kind"] in ("conv", "linear") for op in report.get("ops", [])):
        fail(f"{_model(report)}: forward uses none of its convolutions or Linear layers, so {what} cannot be "
             "judged (see 2.5 and 2.8)")


def _batch(setting_by_kwargs, report):
    return setting_by_kwargs[str(report["kwargs"])]["batch"]


def _logit_shape_ok(shape, batch):
    return shape in ([batch, 1], [batch])


@pytest.fixture(scope="module")
def batches(forward_settings):
    return {str(s["kwargs"]): s["batch"] for s in forward_settings}


@pytest.mark.points(2)
@pytest.mark.handout("`forward` on (B, T, F) input returns finite (B, 1) logits, also for a batch of one")
@pytest.mark.number("2.1")
def test_output_is_one_logit_per_clip(model_probe, batches, request):
    """forward on (B, T, F) input returns finite (B, 1) logits, also for a batch of one"""
    scenarios = Scenarios("settings")
    flat = []
    for report in _running(model_probe):
        batch = batches[str(report["kwargs"])]
        with scenarios.scenario(_model(report)):
            if not _logit_shape_ok(report["shape_3d"], batch):
                fail(f"{_model(report)} on (B, T, F) input with B={batch}: got output shape "
                     f"{tuple(report['shape_3d'])}, expected ({batch}, 1)")
            if not report["finite_3d"]:
                fail(f"{_model(report)} produced NaN or inf on torch.rand input")
            if "batch_one" in report.get("failures", {}):
                fail(describe_failure(report["failures"]["batch_one"], doing=f"{_model(report)} on a batch of one"))
            if not _logit_shape_ok(report.get("shape_batch_one"), 1):
                fail(f"{_model(report)} on a batch of one clip: got output shape "
                     f"{tuple(report.get('shape_batch_one') or ())}, expected (1, 1); do not squeeze() away the batch")
            if report["shape_3d"] == [batch]:
                flat.append(batch)
    if flat:
        note(request, f"forward returned shape ({flat[0]},); accepted, but the contract is ({flat[0]}, 1).")
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("(B, 1, T, F) input gives the same logits as (B, T, F)")
@pytest.mark.number("2.2")
def test_channel_layout_gives_the_same_logits(model_probe):
    """(B, 1, T, F) input gives the same logits as (B, T, F)"""
    scenarios = Scenarios("settings")
    for report in _running(model_probe):
        with scenarios.scenario(_model(report)):
            _nothing_to_judge(report, "whether both layouts give the same logits")
            if report.get("channel_axis_added"):
                fail(describe_failure(report["failures"].get("forward_as_written"), doing=f"{_model(report)} on (B, T, F) input")
                     + "\nIt runs on (B, 1, T, F): forward must add the channel dimension itself when it is missing "
                     "(x = x.unsqueeze(1) when x.dim() == 3). The other checks gave your model (B, 1, T, F) input.")
            if "4d" in report.get("failures", {}):
                fail(describe_failure(report["failures"]["4d"], doing=f"{_model(report)} on (B, 1, T, F) input"))
            if not report.get("same_4d"):
                fail(f"{_model(report)} in eval mode: (B, 1, T, F) input gave other logits (shape "
                     f"{tuple(report.get('shape_4d') or ())}) than the same clips as (B, T, F); add the channel "
                     "dimension only when it is missing and treat both layouts alike")
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("2-D and 5-D input raise `ValueError`")
@pytest.mark.number("2.3")
def test_other_dimensions_raise_value_error(model_probe):
    """forward raises ValueError for input that is neither 3-D nor 4-D"""
    report = _running(model_probe)[0]
    for label, raised in report.get("other_dims", {}).items():
        if raised is None:
            fail(f"{_model(report)} on {label} input: returned normally, expected a ValueError that says "
                 "which shapes are accepted")
        if raised["type"] != "ValueError":
            fail(f"{_model(report)} on {label} input: raised {raised['type']}: {raised['message']}; "
                 "expected a ValueError with a clear message (check x.dim() first)")
    if "other_dims" not in report:
        fail(describe_failure(report.get("failures", {}).get("other_dims"), doing=f"{_model(report)} on 2-D input"))


@pytest.mark.points(2)
@pytest.mark.handout("the model builds and runs for five settings and T (108, 646, 431, 201, 77; `in_features` computed, never fixed)")
@pytest.mark.number("2.4")
def test_builds_and_runs_for_every_setting(model_probe):
    """MyCNNSystem builds and runs for other settings and T (in_features is computed, not fixed)"""
    reports, response = _reports(model_probe)
    scenarios = Scenarios("settings")
    for report in reports:
        with scenarios.scenario(_model(report)):
            # A Linear that does not fit because the layers ignore their arguments is 2.6's deduction:
            # in_features was computed right from the arguments.
            if not report.get("ran_as_written") and not (report.get("repaired") and _layer_mismatch(report)):
                failures = report.get("failures", {})
                if report.get("defaults_filled"):
                    fail(describe_failure(failures.get("build_as_written"), doing=_model(report))
                         + "\nKeep the handout's defaults in the constructor (conv1_channels=16, ..., n_frames=108): "
                         f"yours requires {', '.join(report['defaults_filled'])}. The other checks built your model "
                         "with the handout's defaults filled in.")
                cause = failures.get("build") or failures.get("forward_as_written") or failures.get("forward")
                message = describe_failure(cause, doing=f"{_model(report)} on torch.rand input")
                frames = report["kwargs"].get("n_frames", 108)
                if "shapes cannot be multiplied" in str((cause or {}).get("message", "")):
                    message += (f"\nHint: the Linear layer's in_features does not fit T={frames}: compute it from "
                                "n_frames and n_mels with conv_output_size, following every conv and pool "
                                "with its own kernel, stride and padding.")
                fail(message)
            _nothing_to_judge(report, "whether in_features follows the settings and T")
    repaired = any(r.get("repaired") for r in reports)
    scenarios.verdict(note="The other model checks use the settings where your model runs"
                      + (", with the Linear layer resized to fit where that was the only problem." if repaired else "."))


def _structure(report):
    return [op["kind"] for op in report.get("ops", []) if op["kind"] not in NOT_STRUCTURE]


def _arrow(kinds):
    return " -> ".join(kinds) or "nothing"


@pytest.mark.points(1)
@pytest.mark.handout("`forward` computes Conv2d -> ReLU -> BatchNorm2d -> MaxPool2d twice, then Dropout and Linear; every layer with weights is used")
@pytest.mark.number("2.5")
def test_block_structure(model_probe):
    """Two blocks Conv2d -> ReLU -> BatchNorm2d -> MaxPool2d, then Dropout and Linear; every layer with weights used"""
    scenarios = Scenarios("settings")
    for report in _running(model_probe):
        with scenarios.scenario(_model(report)):
            got = _structure(report)
            if got != EXPECTED_SEQUENCE:
                fail(f"{_model(report)}: forward computes {_arrow(got)}; expected {_arrow(EXPECTED_SEQUENCE)}")
            if report.get("unused_with_params"):
                fail(f"{_model(report)}: defined but never used in forward: {', '.join(report['unused_with_params'])}")
    scenarios.verdict()


def _expected_layers(kwargs):
    k = {"conv1_channels": 16, "conv2_channels": 32, "conv1_kernel": 5, "conv2_kernel": 5, "conv1_stride": 1,
         "conv2_stride": 1, "conv1_padding": 2, "conv2_padding": 2, "pool1_size": 2, "pool2_size": 2,
         "dropout": 0.25, **kwargs}
    convs = [{"out": k["conv1_channels"], "in": 1, "kernel": k["conv1_kernel"], "stride": k["conv1_stride"],
              "padding": k["conv1_padding"]},
             {"out": k["conv2_channels"], "in": k["conv1_channels"], "kernel": k["conv2_kernel"],
              "stride": k["conv2_stride"], "padding": k["conv2_padding"]}]
    return convs, [k["pool1_size"], k["pool2_size"]], k["dropout"]


def _layer_mismatch(report):
    """The first layer whose settings do not follow the constructor's arguments, in words; or None."""
    ops = report.get("ops", [])
    convs, pools, dropout = _expected_layers(report["kwargs"])
    for index, (op, want) in enumerate(zip([o for o in ops if o["kind"] == "conv"], convs), start=1):
        k, s, p = want["kernel"], want["stride"], want["padding"]
        expected = {"weight_shape": [want["out"], want["in"], k, k], "stride": [s, s], "padding": [p, p]}
        for key, value in expected.items():
            if key in op and op[key] != value:
                label = {"weight_shape": "weight shape (out, in, kernel, kernel)"}.get(key, key)
                got = tuple(op[key]) if isinstance(op[key], list) else op[key]
                return f"{_model(report)}: conv {index} has {label} {got}, expected {tuple(value)}"
    for index, (op, size) in enumerate(zip([o for o in ops if o["kind"] == "max_pool"], pools), start=1):
        if op.get("kernel") != [size, size] or op.get("stride") != [size, size]:
            return (f"{_model(report)}: max pooling {index} has kernel {op.get('kernel')} and stride "
                    f"{op.get('stride')}, expected pool{index}_size = {size} for both")
    drops = [o for o in ops if o["kind"] == "dropout"]
    if drops and abs(drops[0].get("p", dropout) - dropout) > 1e-9:
        return (f"{_model(report)}: dropout drops with probability {drops[0]['p']:g}, expected dropout={dropout:g} "
                "(the argument is the probability of dropping, as in nn.Dropout(p))")
    return None


@pytest.mark.points(1)
@pytest.mark.handout("channels, kernels, strides, paddings, pool sizes and the dropout probability follow the constructor's arguments")
@pytest.mark.number("2.6")
def test_layers_follow_the_constructor_arguments(model_probe):
    """Channels, kernels, strides, paddings, pool sizes and the dropout probability follow the arguments"""
    reports, _ = _reports(model_probe)
    scenarios = Scenarios("settings")
    for report in reports:
        if not any(op["kind"] == "conv" for op in report.get("ops", [])):
            continue
        with scenarios.scenario(_model(report)):
            problem = _layer_mismatch(report)
            if problem:
                fail(problem)
    if not scenarios.passed and not scenarios.failed:
        _no_convolution(model_probe, reports)
    scenarios.verdict()


def _no_convolution(model_probe, reports):
    """Nothing to judge: say why (the model never ran, or ran without a convolution)."""
    _running(model_probe)  # fails with the build or forward error when the model never ran
    fail(f"{_model(reports[0])}: forward ran no convolution, so there are no layers to check (see 2.5)")


@pytest.mark.points(1)
@pytest.mark.handout("the first convolution sees (B, 1, T, F): time x mel, not swapped")
@pytest.mark.number("2.7")
def test_time_by_mel_layout(model_probe, batches):
    """The first convolution sees (B, 1, T, F): time x mel, not transposed"""
    scenarios = Scenarios("settings")
    running = _running(model_probe)
    for report in running:
        convs = [op for op in report.get("ops", []) if op["kind"] == "conv"]
        if not convs or not convs[0].get("in_shape"):
            continue
        batch = batches[str(report["kwargs"])]
        frames = report["kwargs"].get("n_frames", 108)
        mels = report["kwargs"].get("n_mels", 40)
        with scenarios.scenario(_model(report)):
            got = convs[0]["in_shape"]
            if got != [batch, 1, frames, mels]:
                hint = " (time and mel are swapped)" if got == [batch, 1, mels, frames] else ""
                fail(f"{_model(report)} on (B, T, F) = ({batch}, {frames}, {mels}) input: the first convolution "
                     f"gets shape {tuple(got)}, expected ({batch}, 1, {frames}, {mels}){hint}; add the channel "
                     "dimension with x.unsqueeze(1)")
    if not scenarios.passed and not scenarios.failed:
        _no_convolution(model_probe, running)
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("the logits depend on the input and every parameter in use gets a non-zero gradient")
@pytest.mark.number("2.8")
def test_output_depends_on_input_and_gradients_flow(model_probe):
    """The logits depend on the input, and every parameter in use receives a non-zero gradient"""
    scenarios = Scenarios("settings")
    for report in _running(model_probe):
        with scenarios.scenario(_model(report)):
            if "gradients" in report.get("failures", {}):
                fail(describe_failure(report["failures"]["gradients"], doing=f"backward() through {_model(report)}"))
            if report.get("eval_spread", 1.0) == 0.0:
                value = report["eval_range"][0]
                fail(f"{_model(report)} gives the same output {value:g} for 16 different inputs: its output does not "
                     "depend on the input" + (" (a softmax over one unit is always 1)" if value == 1.0 else ""))
            if report.get("no_grad"):
                fail(f"{_model(report)}: these parameters got no gradient from the output: {', '.join(report['no_grad'])} "
                     "(is the graph cut by .detach(), .data or torch.no_grad() inside forward?)")
            if report.get("zero_grad"):
                fail(f"{_model(report)}: these parameters got an all-zero gradient: {', '.join(report['zero_grad'])}")
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("dropout changes the output in train mode only")
@pytest.mark.number("2.9")
def test_dropout_only_in_train_mode(model_probe):
    """Dropout changes outputs in train mode only (eval mode is deterministic)"""
    scenarios = Scenarios("settings")
    for report in _running(model_probe):
        has_dropout = any(op["kind"] == "dropout" for op in report.get("ops", []))
        with scenarios.scenario(_model(report)):
            _nothing_to_judge(report, "whether dropout acts in train mode only")
            if report.get("eval_passes_differ"):
                fail(f"{_model(report)}: two passes in eval mode on the same input gave different outputs; expected "
                     "identical (dropout must be off in eval mode: use nn.Dropout, or F.dropout(..., training=self.training))")
            # A model without any dropout is charged once, to 2.5; one whose output is constant, to 2.8.
            if has_dropout and report.get("train_passes_differ") is False and report.get("eval_spread", 1.0) != 0.0:
                fail(f"{_model(report)}: two passes in train mode on the same input gave identical outputs; "
                     "expected dropout to change them")
    scenarios.verdict()


@pytest.mark.points(1)
@pytest.mark.handout("no sigmoid in `forward`")
@pytest.mark.number("2.10")
def test_returns_logits_not_probabilities(model_probe):
    """forward returns logits: no sigmoid inside the model"""
    scenarios = Scenarios("settings")
    for report in _running(model_probe):
        with scenarios.scenario(_model(report)):
            if any(op["kind"] == "sigmoid" for op in report.get("ops", [])):
                low, high = report.get("eval_range", [0.0, 0.0])
                fail(f"{_model(report)} applies a sigmoid in forward: got outputs in [{low:.3f}, {high:.3f}]. "
                     "Return logits and let BCEWithLogitsLoss apply the sigmoid.")
    scenarios.verdict()
