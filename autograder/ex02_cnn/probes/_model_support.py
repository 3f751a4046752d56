"""Shared by the ex02 probes (runs in the sandbox, beside the student's files).

- ``load_model_module``: import ``my_cnn_system_<name>.py``. When the student's
  ``conv_output_size`` disagrees with the handout's formula, the module's global is replaced
  by the handout's formula, so that a formula bug costs the formula checks only and not every
  check that builds the model (one bug, one deduction). The probe reports that it did so.
- ``repair_linear``: when forward fails only because a Linear layer's ``in_features`` does not
  fit what reaches it (hard-coded T, an ignored stride...), the layer is resized so that the
  other checks can still judge the rest of the model; the failure is charged once, to 2.4.
- ``StandInModel``: when the student's ``MyCNNSystem`` cannot be built or run on a dataset's
  shape even so, the checks of ``train()``, ``test()`` and ``main()`` use this small model
  instead, so that a model bug is not charged again to the training code. It is deliberately
  not the handout's architecture (one convolution, global average pooling).
- ``OpRecorder``: the tensor operations a forward pass executes, with their settings and
  output shapes (modules, functional calls and ``nn.Sequential`` alike).

Nothing here is secret: it holds no expected values, only the formula the handout prints.
"""

from __future__ import annotations

import inspect
import numbers
import sys

import _probe_runtime as rt
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

FORMULA_CASES = [(108, 5, 1, 2, 1), (54, 3, 2, 1, 1), (646, 7, 3, 0, 2), (40, 2, 2, 0, 1), (20, 5, 1, 2, 1),
                 (431, 4, 4, 1, 1), (13, 3, 2, 1, 2)]


def handout_formula(size, kernel, stride=1, padding=0, dilation=1):
    """The formula printed in the handout (from the Conv2d page of the PyTorch docs)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def formula_is_right(function) -> bool:
    """Right values, as ints (a float in_features cannot size an nn.Linear), defaults included."""
    try:
        calls = [(function(*case), handout_formula(*case)) for case in FORMULA_CASES]
        calls.append((function(60, 3), handout_formula(60, 3)))
    except Exception:
        return False
    return all(isinstance(got, numbers.Integral) and not isinstance(got, bool) and got == want for got, want in calls)


PREFIX = "my_cnn_system_"


def model_module_or_stand_in() -> str | None:
    """Let ``import my_cnn_system_<anything>`` (a training file's import at its top, renamed or
    not) find the student's model module, or this module's stand-ins when it cannot be
    imported; returns why it was replaced, or None.

    The checks of train() and test() use scripted models, not the student's: a model file that
    does not import, or a training file that imports it under the skeleton's name, is charged
    to the model checks and to the script run (5.1), not again to every check of part 3.3.
    """
    try:
        rt.import_student(PREFIX)
        return None
    except rt.StudentCodeError as error:
        rt.redirect_prefix(PREFIX, __file__)
        return str(error).splitlines()[0][:200]


def import_training_module():
    """The student's training file, imported so that its import of the model module works under
    either name (``my_cnn_system_<name>`` or the skeleton's, not renamed), and with the
    stand-ins in place of a model file that cannot be imported: those are charged by the model
    checks and by 5.1, not again by every check of train() and test(). The model file itself
    runs only if the training file imports it."""
    rt.alias_prefix(PREFIX)
    try:
        return rt.import_student("training_")
    except rt.StudentCodeError:
        if model_module_or_stand_in() is None:
            raise  # the model file imports: the training file's own problem
        return rt.import_student("training_")


def model_module_for_training():
    """(module, formula substituted, why the stand-ins were used or None) for a probe that trains
    the student's model: the student's model module, or, when it cannot be imported, this very
    module, whose ``MyCNNSystem`` is the stand-in (so that ``model_notes`` reports it as such)."""
    unimportable = model_module_or_stand_in()
    if unimportable:
        return sys.modules[__name__], False, unimportable
    module, substituted = load_model_module()
    return module, substituted, None


def load_model_module(*, alias: bool = True):
    """The student's model module, its formula replaced when wrong; and whether it was replaced."""
    module = rt.import_student(PREFIX, alias=alias)
    function = getattr(module, "conv_output_size", None)
    substituted = False
    if function is not None and not formula_is_right(function):
        module.conv_output_size = handout_formula
        substituted = True
    return module, substituted


class StandInModel(nn.Module):
    """A small model that is not the handout's: used only when the student's cannot run."""

    def __init__(self, n_frames: int = 108, n_mels: int = 40, **_ignored) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = torch.relu(self.norm(self.conv(x)))
        return self.out(x.mean(dim=(2, 3)))


def repair_linear(model, frames: int, mels: int) -> list[str]:
    """Resize every nn.Linear whose in_features does not fit its input on a (2, T, F) batch.

    Returns what was resized ("fc: in_features 8640 -> 2160"); the model's mode is kept.
    """
    repaired, hooks = [], []

    def resize(name):
        def hook(module, inputs):
            actual = inputs[0].shape[-1] if inputs and isinstance(inputs[0], torch.Tensor) else None
            if actual is not None and actual != module.in_features:
                fresh = nn.Linear(actual, module.out_features, bias=module.bias is not None)
                module.weight, module.bias = fresh.weight, fresh.bias
                repaired.append(f"{name}: in_features {module.in_features} -> {actual}")
                module.in_features = actual
        return hook

    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            hooks.append(module.register_forward_pre_hook(resize(name)))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.rand(2, frames, mels))
    except Exception:
        pass
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return repaired


# The constructor's defaults, as the handout prints them.
HANDOUT_DEFAULTS = {"conv1_channels": 16, "conv2_channels": 32, "conv1_kernel": 5, "conv2_kernel": 5,
                    "conv1_stride": 1, "conv2_stride": 1, "conv1_padding": 2, "conv2_padding": 2,
                    "pool1_size": 2, "pool2_size": 2, "dropout": 0.25, "n_mels": 40, "n_frames": 108}


def required_arguments(model_class) -> list[str]:
    """The handout's constructor arguments that the student's constructor requires (no default)."""
    try:
        parameters = inspect.signature(model_class.__init__).parameters
    except (TypeError, ValueError):
        return []
    return [name for name, parameter in parameters.items()
            if name in HANDOUT_DEFAULTS and parameter.default is inspect.Parameter.empty]


def with_handout_defaults(model_class):
    """A subclass of the student's class that passes the handout's defaults for the arguments its
    constructor requires (a constructor without defaults is charged to 2.4 only)."""
    required = required_arguments(model_class)
    signature = inspect.signature(model_class.__init__)

    class WithDefaults(model_class):
        def __init__(self, *args, **kwargs):
            given = signature.bind_partial(self, *args, **kwargs).arguments  # positional ones too
            super().__init__(*args, **{name: HANDOUT_DEFAULTS[name] for name in required if name not in given},
                             **kwargs)

    WithDefaults.__name__ = WithDefaults.__qualname__ = model_class.__name__
    return WithDefaults


def adding_channel_axis(model_class):
    """A subclass of the student's class whose forward gets (B, 1, T, F) when given (B, T, F):
    for a model that never adds the channel axis itself (charged to 2.2 only)."""
    class WithChannelAxis(model_class):
        def forward(self, x, *args, **kwargs):
            if isinstance(x, torch.Tensor) and x.dim() == 3:
                x = x.unsqueeze(1)
            return super().forward(x, *args, **kwargs)

    WithChannelAxis.__name__ = WithChannelAxis.__qualname__ = model_class.__name__
    return WithChannelAxis


def repairing(model_class, frames: int, mels: int):
    """A subclass of the student's class whose instances resize a misfitting Linear when built
    (what was resized is in ``repaired_by_grader``)."""
    class Repaired(model_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.repaired_by_grader = repair_linear(self, frames, mels)

    Repaired.__name__ = Repaired.__qualname__ = model_class.__name__
    return Repaired


def runs_on(model_class, frames: int, mels: int) -> str | None:
    """None when ``model_class(n_frames=frames, n_mels=mels)`` builds and gives one logit per
    clip on a small batch; otherwise why not (for the feedback)."""
    try:
        model = model_class(n_frames=frames, n_mels=mels)
        model.eval()
        with torch.no_grad():
            out = model(torch.rand(2, frames, mels))
        if not isinstance(out, torch.Tensor) or out.numel() != 2:
            return f"forward returned {type(out).__name__} of shape {tuple(getattr(out, 'shape', ()))}"
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:300]}"


def model_notes(model_class, note: str | None) -> dict:
    """What a probe reports of ``model_class_for``'s answer: ``stand_in`` when the grader's model
    was used, ``model_adapted`` when the student's ran with a change (channel axis, Linear)."""
    if model_class is StandInModel:
        return {"stand_in": note, "model_adapted": None}
    return {"stand_in": None, "model_adapted": note}


def model_class_for(module, frames: int, mels: int):
    """(class to train, note): the student's MyCNNSystem (adapted when it takes that), or the
    stand-in when it cannot run."""
    model_class = getattr(module, "MyCNNSystem", None)
    if model_class is None:
        return StandInModel, "my_cnn_system_<name>.py defines no class MyCNNSystem"
    problem = runs_on(model_class, frames, mels)
    if problem is None:
        return model_class, None
    for adapted, how in adaptations(model_class, frames, mels):
        if runs_on(adapted, frames, mels) is None:
            return adapted, (f"MyCNNSystem(n_frames={frames}, n_mels={mels}) cannot run as written ({problem}); "
                             f"the grader {how}")
    return StandInModel, f"MyCNNSystem(n_frames={frames}, n_mels={mels}) cannot run: {problem}"


CHANNEL_NOTE = "added the channel axis to (B, T, F) batches (see 2.2)"
DEFAULTS_NOTE = "passed the handout's defaults for the arguments it requires (see 2.4)"
REPAIR_NOTE = "resized its Linear layer to fit (see 2.4)"


def forward_adaptations(model_class, frames: int, mels: int):
    """(class, changes) for a class whose forward fails on (B, T, F), least change first: the
    channel axis added (charged by 2.2), a Linear resized to fit (2.4), both. Each change is
    charged by its own check, so that the other checks still judge the student's own model."""
    channel = adding_channel_axis(model_class)
    yield channel, [CHANNEL_NOTE]
    yield repairing(model_class, frames, mels), [REPAIR_NOTE]
    yield repairing(channel, frames, mels), [CHANNEL_NOTE, REPAIR_NOTE]


def adaptations(model_class, frames: int, mels: int):
    """(class, how) for a class that cannot run as written: ``forward_adaptations``, then the
    same with the handout's defaults filled in for a constructor without them (2.4)."""
    defaults = with_handout_defaults(model_class)
    yield from ((adapted, " and ".join(changes)) for adapted, changes in forward_adaptations(model_class, frames, mels))
    yield defaults, DEFAULTS_NOTE
    yield from ((adapted, " and ".join([DEFAULTS_NOTE, *changes]))
                for adapted, changes in forward_adaptations(defaults, frames, mels))


# Operations that make up the network, by the name torch reports, and their kind.
KINDS = {
    "conv2d": "conv", "conv1d": "conv", "conv3d": "conv", "conv_transpose2d": "conv",
    "relu": "relu", "relu_": "relu",
    "leaky_relu": "activation", "elu": "activation", "gelu": "activation", "silu": "activation",
    "tanh": "activation", "hardtanh": "activation", "relu6": "activation", "selu": "activation",
    "batch_norm": "batch_norm", "instance_norm": "norm", "layer_norm": "norm", "group_norm": "norm",
    "max_pool2d": "max_pool", "max_pool2d_with_indices": "max_pool", "max_pool1d": "max_pool",
    "avg_pool2d": "pool", "adaptive_avg_pool2d": "pool", "adaptive_max_pool2d": "pool", "avg_pool1d": "pool",
    "dropout": "dropout", "dropout2d": "dropout", "feature_dropout": "dropout", "alpha_dropout": "dropout",
    "dropout1d": "dropout",
    "linear": "linear",
    "sigmoid": "sigmoid", "softmax": "squash", "log_softmax": "squash",
}


def _pair(value):
    if value is None:
        return None
    if isinstance(value, int):
        return [value, value]
    if isinstance(value, (list, tuple)):
        values = [int(v) for v in value]
        return values * 2 if len(values) == 1 else values
    return None


def _argument(args, kwargs, index, name, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def describe_op(name, args, kwargs, output):
    """One recorded operation: kind, name, input and output shapes, and the settings that matter."""
    first = args[0] if args and isinstance(args[0], torch.Tensor) else None
    op = {"kind": KINDS[name], "op": name,
          "in_shape": list(first.shape) if first is not None else None,
          "out_shape": list(output.shape) if isinstance(output, torch.Tensor) else None}
    if op["kind"] == "conv":
        weight = _argument(args, kwargs, 1, "weight")
        if isinstance(weight, torch.Tensor):
            op["weight_shape"] = list(weight.shape)
        op["stride"] = _pair(_argument(args, kwargs, 3, "stride", 1))
        padding = _argument(args, kwargs, 4, "padding", 0)
        op["padding"] = padding if isinstance(padding, str) else _pair(padding)
        op["dilation"] = _pair(_argument(args, kwargs, 5, "dilation", 1))
    elif op["kind"] in ("max_pool", "pool"):
        kernel = _pair(_argument(args, kwargs, 1, "kernel_size"))
        op["kernel"] = kernel
        op["stride"] = _pair(_argument(args, kwargs, 2, "stride", None)) or kernel
        op["padding"] = _pair(_argument(args, kwargs, 3, "padding", 0))
    elif op["kind"] == "dropout":
        op["p"] = float(_argument(args, kwargs, 1, "p", 0.5))
        op["training"] = bool(_argument(args, kwargs, 2, "training", True))
    elif op["kind"] == "linear":
        weight = _argument(args, kwargs, 1, "weight")
        if isinstance(weight, torch.Tensor):
            op["weight_shape"] = list(weight.shape)
    return op


class OpRecorder(TorchFunctionMode):
    """Records the network's operations (see KINDS) in the order ``forward`` runs them.

    Nested calls inside an operation are not seen (torch disables the mode while one runs),
    so ``nn.Conv2d`` appears once, as ``conv2d``.
    """

    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        output = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name in KINDS:
            try:
                self.ops.append(describe_op(name, args, kwargs, output))
            except Exception:  # recording must never change what the student's code does
                self.ops.append({"kind": KINDS[name], "op": name})
        return output


# What a model module defines, for ``model_module_or_stand_in``'s redirect: the stand-in model
# and the handout's formula.
MyCNNSystem = StandInModel
conv_output_size = handout_formula
