"""1. The output-size formula, checked against what torch's layers actually produce.

Three properties, each its own deduction: the values (partial credit by the fraction of
cases right), the default arguments, and the return type.
"""

import pytest
from probe_schemas import ModelResponse

from kit.grader import PartialCredit, describe_failure, fail, require

ARGUMENTS = ("size", "kernel", "stride", "padding", "dilation")
DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1}


def _call(args):
    return f"conv_output_size({', '.join(map(str, args))})"


def _formula(model_probe):
    response = require(model_probe, "calling conv_output_size", partial=True, schema=ModelResponse)
    formula = response.get("formula")
    if formula is None:
        fail(f"calling conv_output_size: {model_probe.describe()}")
    if "missing" in formula:
        fail(formula["missing"])
    return formula


def _diagnosis(wrong_args, right_args):
    """Which argument the wrong cases share: 'every wrong case has dilation > 1'."""
    hints = []
    for position, name in enumerate(ARGUMENTS[2:], start=2):
        default = DEFAULTS[name]
        if all(args[position] != default for args in wrong_args) and any(args[position] == default for args in right_args):
            hints.append(f"{name} != {default}")
    if hints:
        return f"Every wrong case has {' and '.join(hints)}: check how your formula uses that argument."
    return ""


@pytest.mark.points(4)
@pytest.mark.handout("`conv_output_size` gives what torch's `Conv1d`, `Conv2d` and `MaxPool2d` produce for many sizes, kernels, strides, paddings and dilations (share of cases right)")
@pytest.mark.number("1.1")
def test_values_match_torch(formula_cases, model_probe):
    """conv_output_size gives what torch's Conv1d, Conv2d and MaxPool2d produce"""
    formula = _formula(model_probe)
    values, failures = formula["values"], formula.get("failures", {})
    wrong, right, first = [], [], None
    for index, (layer, args, expected) in enumerate(formula_cases):
        got = values[index] if index < len(values) else None
        if got is not None and got == expected:
            right.append(args)
            continue
        wrong.append(args)
        if first is None:
            if str(index) in failures:
                first = describe_failure(failures[str(index)], doing=_call(args))
            else:
                first = f"{_call(args)} for {layer}: got {got!r}, expected {expected} (what torch produces)"
    if not wrong:
        return
    text = f"{first}\n({len(right)} of {len(formula_cases)} cases right)"
    hint = _diagnosis(wrong, right)
    text += f"\n{hint}" if hint else ""
    if right:
        raise PartialCredit(len(right) / len(formula_cases), text)
    fail(text)


@pytest.mark.points(1)
@pytest.mark.handout("its defaults are `stride=1, padding=0, dilation=1`")
@pytest.mark.number("1.2")
def test_default_arguments(formula_cases, default_cases, model_probe):
    """The defaults are stride=1, padding=0, dilation=1"""
    formula = _formula(model_probe)
    offset = len(formula_cases)
    for index, (args, _) in enumerate(default_cases):
        position = offset + index
        expected = (args[0] - args[1]) + 1
        if str(position) in formula.get("failures", {}):
            fail(describe_failure(formula["failures"][str(position)], doing=_call(args)))
        got = formula["values"][position] if position < len(formula["values"]) else None
        if got != expected:
            fail(f"{_call(args)} (defaults for stride, padding and dilation): got {got!r}, expected {expected}; "
                 "the defaults are stride=1, padding=0, dilation=1")


@pytest.mark.points(1)
@pytest.mark.handout("it returns an `int`")
@pytest.mark.number("1.3")
def test_returns_an_int(formula_cases, default_cases, model_probe):
    """conv_output_size returns an int"""
    formula = _formula(model_probe)
    arguments = [args for _, args, _ in formula_cases] + [args for args, _ in default_cases]
    for index, kind in enumerate(formula["types"]):
        if kind not in ("int", "error"):
            fail(f"{_call(arguments[index])} returned a value of type {kind}, expected an int: "
                 "use floor division (//) or int(...), so that the result can size a layer")
    if all(kind == "error" for kind in formula["types"]):
        first = describe_failure(formula["failures"]["0"], doing=_call(arguments[0]))
        fail(f"{first}\nconv_output_size raised on every call, so its return type could not be checked")
