"""1. The output-size formula, checked against what torch's layers actually produce."""

import numpy as np
import pytest
import torch

from kit.grading.pytest_plugin import fail, require

RNG_SEED = 7


def _random_case(rng, max_padding_of_kernel=None):
    while True:
        size, kernel = int(rng.integers(1, 700)), int(rng.integers(1, 12))
        stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        padding = int(rng.integers(0, kernel // 2 + 1 if max_padding_of_kernel else 6))
        if size + 2 * padding - dilation * (kernel - 1) - 1 >= 0:
            return [size, kernel, stride, padding, dilation]


def _torch_conv1d(size, kernel, stride, padding, dilation):
    layer = torch.nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    return layer(torch.zeros(1, 1, size)).shape[-1]


def _torch_conv2d(h, w, kernel, stride, padding, dilation):
    layer = torch.nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    return tuple(layer(torch.zeros(1, 1, h, w)).shape[-2:])


def _torch_maxpool(size, kernel, stride, padding, dilation):
    layer = torch.nn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation)
    return layer(torch.zeros(1, 1, size, 3 * kernel * dilation)).shape[-2]


@pytest.fixture(scope="module")
def cases():
    """Grader-chosen arguments and what torch produces for them, per layer type."""
    rng = np.random.default_rng(RNG_SEED)
    conv1d = [_random_case(rng) for _ in range(60)]
    # Strides that do not divide evenly must be among them.
    conv1d += [[100, 3, 2, 0, 1], [646, 5, 3, 2, 1], [431, 4, 4, 1, 2], [7, 7, 5, 0, 1]]
    conv2d = []
    for _ in range(30):
        h, k, s, p, d = _random_case(rng)
        w = int(rng.integers(d * (k - 1) + 1, 120))
        conv2d.append(((h, w, k, s, p, d), _torch_conv2d(h, w, k, s, p, d)))
    pools = [_random_case(rng, max_padding_of_kernel=True) for _ in range(40)]
    pools += [[646, 2, 2, 0, 1], [108, 3, 3, 0, 1], [215, 2, 2, 1, 1]]
    defaults = [[int(rng.integers(12, 700)), int(rng.integers(1, 12))] for _ in range(10)]
    return {
        "conv1d": [(args, _torch_conv1d(*args)) for args in conv1d],
        "conv2d_rows": [([h, k, s, p, d], out[0]) for (h, w, k, s, p, d), out in conv2d],
        "conv2d_cols": [([w, k, s, p, d], out[1]) for (h, w, k, s, p, d), out in conv2d],
        "maxpool2d": [(args, _torch_maxpool(*args)) for args in pools],
        "defaults": [(args, _torch_conv1d(*args, 1, 0, 1)) for args in defaults],
    }


@pytest.fixture(scope="module")
def answers(grading, cases):
    """The student's values for every case, from one sandboxed run."""
    order = [(group, args) for group, items in cases.items() for args, _ in items]
    response = require(grading.probe("output_size", {"cases": [a for _, a in order]}), "conv_output_size")
    by_group = {group: [] for group in cases}
    for (group, _), value in zip(order, response["values"]):
        by_group[group].append(value)
    return by_group, response


def _check(group, what, cases, answers):
    values, response = answers
    for index, (args, expected) in enumerate(cases[group]):
        call = f"conv_output_size({', '.join(map(str, args))})"
        if index >= len(values[group]):
            failure = response.get("failure", {})
            call = f"conv_output_size({', '.join(map(str, response.get('failed_args', args)))})"
            fail(f"{call} raised {failure.get('type')}: {failure.get('message')}\n{failure.get('where', '')}".rstrip())
        got = values[group][index]
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if not isinstance(got, int) or isinstance(got, bool):
            fail(f"{call} returned {got!r}; expected an int ({expected}) — use floor division")
        if got != expected:
            fail(f"{call} for {what}: got {got}, expected {expected} (what torch produces)")


@pytest.mark.points(2)
@pytest.mark.number("1.1")
def test_matches_conv1d(cases, answers):
    """Output size matches torch.nn.Conv1d (random size, kernel, stride, padding, dilation)"""
    _check("conv1d", "Conv1d", cases, answers)


@pytest.mark.points(2)
@pytest.mark.number("1.2")
def test_matches_conv2d(cases, answers):
    """Output size matches torch.nn.Conv2d in both dimensions"""
    _check("conv2d_rows", "Conv2d height", cases, answers)
    _check("conv2d_cols", "Conv2d width", cases, answers)


@pytest.mark.points(1)
@pytest.mark.number("1.3")
def test_matches_maxpool2d(cases, answers):
    """Output size matches torch.nn.MaxPool2d"""
    _check("maxpool2d", "MaxPool2d", cases, answers)


@pytest.mark.points(1)
@pytest.mark.number("1.4")
def test_default_arguments(cases, answers):
    """Defaults are stride=1, padding=0, dilation=1"""
    _check("defaults", "the default stride, padding and dilation", cases, answers)
