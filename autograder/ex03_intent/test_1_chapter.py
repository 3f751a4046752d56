"""1. The chapter's exercises: the parameters of a fully connected stack, and a Conv1d/MaxPool1d stack's output length.

Expected values come from torch itself (``nn.Linear`` and the layers' own output shapes), computed
here on the trusted side and cached per torch version.
"""

from pathlib import Path

import numpy as np
import pytest

from kit.grader import Scenarios, cached, check_value, fail, require

# (n_inputs, layer sizes): the chapter's exercise first (46,103,000 with biases, not 45.1 M).
FC_CASES = [[44100, [1000, 1000, 1000]], [64000, [256, 10]], [40, [60]], [16000, [512, 128, 60]], [3, [1, 1]]]


def _conv_cases():
    rng = np.random.default_rng(11)
    cases = [
        [64000, [{"type": "Conv1d", "kernel_size": 80, "stride": 16}, {"type": "MaxPool1d", "kernel_size": 4}]],
        [100, [{"type": "MaxPool1d", "kernel_size": 3}]],  # a pool's stride defaults to its kernel
        [101, [{"type": "Conv1d", "kernel_size": 4, "stride": 3, "padding": 2, "dilation": 2}]],
    ]
    for _ in range(12):
        length = int(rng.integers(2000, 64001))
        layers = []
        for _ in range(int(rng.integers(2, 6))):
            if rng.random() < 0.6:
                layers.append({"type": "Conv1d", "kernel_size": int(rng.integers(1, 9)), "stride": int(rng.integers(1, 5)),
                               "padding": int(rng.integers(0, 4)), "dilation": int(rng.integers(1, 3))})
            else:
                kernel = int(rng.integers(2, 5))
                layer = {"type": "MaxPool1d", "kernel_size": kernel}
                if rng.random() < 0.5:
                    layer["stride"] = int(rng.integers(1, kernel + 1))
                layers.append(layer)
        cases.append([length, layers])
    return cases


def _torch_values():
    import torch
    from torch import nn

    fc = [sum(p.numel() for p in nn.Sequential(*(nn.Linear(a, b) for a, b in zip([n, *sizes], sizes))).parameters())
          for n, sizes in FC_CASES]
    conv = []
    for length, layers in _conv_cases():
        stack = [nn.Conv1d(1, 1, l["kernel_size"], stride=l.get("stride", 1), padding=l.get("padding", 0),
                           dilation=l.get("dilation", 1)) if l["type"] == "Conv1d"
                 else nn.MaxPool1d(l["kernel_size"], stride=l.get("stride"), padding=l.get("padding", 0))
                 for l in layers]
        with torch.no_grad():
            conv.append(int(nn.Sequential(*stack)(torch.zeros(1, 1, length)).shape[-1]))
    return {"fc": fc, "conv": conv}


@pytest.fixture(scope="module")
def expected():
    return cached("ex03_chapter_values", source=Path(__file__), libraries=("torch", "numpy"), compute=_torch_values)


@pytest.fixture(scope="module")
def formulas(grading):
    result = grading.probe("formulas", {"fc_cases": FC_CASES, "conv_cases": _conv_cases()})
    return require(result, "calling count_fc_parameters and conv_stack_output_length")


def _judge(results, cases, expected, what, describe):
    if results is None:
        fail(f"your model file has no {what} function")
    scenarios = Scenarios(f"cases of {what}")
    for case, got, want in zip(cases, results, expected):
        with scenarios.scenario(describe(case)):
            if "error" in got:
                fail(f"{what}{describe(case)} raised {got['error']}")
            if got.get("type") != "int":
                fail(f"{what}{describe(case)} returned {got.get('value')} ({got.get('type')}); expected the int {want}")
            check_value(got["value"], want, f"{what}{describe(case)}")
    scenarios.verdict()


@pytest.mark.points(2)
@pytest.mark.handout("`count_fc_parameters(n_inputs, layer_sizes)`: weights **and** biases of every layer, as torch counts them (the chapter's 3 x 1000 units on 44,100 samples: 46,103,000)")
@pytest.mark.number("1.1")
def test_fc_parameter_count(formulas, expected):
    """count_fc_parameters counts weights and biases as torch does"""
    def describe(case):
        return f"({case[0]}, {case[1]})"

    results = formulas.get("count_fc_parameters")
    if results is not None and results and results[0].get("value") == 44100 * 1000 + 2 * 1000 * 1000:
        fail("count_fc_parameters(44100, [1000, 1000, 1000]) returned 46,100,000: the weights only. Every "
             "nn.Linear also has a bias per output unit (torch counts 46,103,000).")
    _judge(results, FC_CASES, expected["fc"], "count_fc_parameters", describe)


@pytest.mark.points(2)
@pytest.mark.handout("`conv_stack_output_length(length, layers)` matches torch's `Conv1d`/`MaxPool1d` output length (stride, padding, dilation; a pool's stride defaults to its kernel size)")
@pytest.mark.number("1.2")
def test_conv_stack_output_length(formulas, expected):
    """conv_stack_output_length matches torch's Conv1d and MaxPool1d"""
    def describe(case):
        layers = ", ".join(f"{l['type']}(" + ", ".join(f"{k}={v}" for k, v in l.items() if k != "type") + ")"
                           for l in case[1])
        return f"({case[0]}, [{layers}])"

    _judge(formulas.get("conv_stack_output_length"), _conv_cases(), expected["conv"], "conv_stack_output_length",
           describe)
