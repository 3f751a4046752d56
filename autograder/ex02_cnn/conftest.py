"""Fixtures shared by the ex02 hidden graders: one probe run serves several tests.

Probes: ``model`` (conv_output_size and MyCNNSystem), ``training`` (train() on scripted
losses), ``testing`` (test() on scripted logits), ``accuracy`` (the student's model trained
by the student's train(), predicting held-out clips) and ``main`` (the training script run
as a student runs it).
"""

from pathlib import Path

import numpy as np
import pytest

from heldout_accuracy import accuracy_request
from kit.grader import GradingContext, cached, grading_context

FORMULA_SEED = 7


def pytest_sessionstart(session):
    """Training for the held-out accuracy (4.4) is the longest probe by far: with a core to
    spare it starts now, beside the other probes, and test 4.4 (marked ``last``) collects its
    result after they have run."""
    grading = grading_context(session.config)
    if grading.features is not None:
        request = accuracy_request(grading.settings("accuracy"), grading.features)
        grading.prefetch("accuracy", request, folders={"data": grading.features / "public"})


def _random_case(rng, pooling=False):
    while True:
        size, kernel = int(rng.integers(1, 700)), int(rng.integers(1, 12))
        stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        padding = int(rng.integers(0, kernel // 2 + 1 if pooling else 6))
        if size + 2 * padding - dilation * (kernel - 1) - 1 >= 0:
            return [size, kernel, stride, padding, dilation]


def _torch_conv1d(size, kernel, stride=1, padding=0, dilation=1):
    import torch  # here, not at the top: the accuracy probe starts before torch is imported

    layer = torch.nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    return layer(torch.zeros(1, 1, size)).shape[-1]


def _torch_conv2d(h, w, kernel, stride, padding, dilation):
    import torch

    layer = torch.nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    return tuple(layer(torch.zeros(1, 1, h, w)).shape[-2:])


def _torch_maxpool(size, kernel, stride, padding, dilation):
    import torch

    layer = torch.nn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation)
    return layer(torch.zeros(1, 1, size, 3 * kernel * dilation)).shape[-2]


@pytest.fixture(scope="session")
def formula_cases():
    """Grader-chosen arguments and what torch's layers produce for them: (layer, args, expected).

    Computed by the first submission graded with this file and this torch, then read from the
    trusted cache (kit/grading/ground_truth.py): torch is not imported here again."""
    cases = cached("ex02_formula_cases", source=Path(__file__), libraries=("torch", "numpy"),
                   compute=_formula_cases)
    return [tuple(case) for case in cases]


def _formula_cases():
    rng = np.random.default_rng(FORMULA_SEED)
    cases = [("Conv1d", args, _torch_conv1d(*args)) for args in (_random_case(rng) for _ in range(60))]
    # Strides that do not divide evenly must be among them.
    cases += [("Conv1d", args, _torch_conv1d(*args))
              for args in ([100, 3, 2, 0, 1], [646, 5, 3, 2, 1], [431, 4, 4, 1, 2], [7, 7, 5, 0, 1])]
    for _ in range(30):
        h, k, s, p, d = _random_case(rng)
        w = int(rng.integers(d * (k - 1) + 1, 120))
        out_h, out_w = _torch_conv2d(h, w, k, s, p, d)
        cases += [("Conv2d height", [h, k, s, p, d], out_h), ("Conv2d width", [w, k, s, p, d], out_w)]
    pools = [_random_case(rng, pooling=True) for _ in range(40)] + [[646, 2, 2, 0, 1], [108, 3, 3, 0, 1], [215, 2, 2, 1, 1]]
    cases += [("MaxPool2d", args, _torch_maxpool(*args)) for args in pools]
    return cases


@pytest.fixture(scope="session")
def default_cases():
    """Two-argument calls: stride 1, padding 0 and dilation 1 are the defaults."""
    rng = np.random.default_rng(FORMULA_SEED + 1)
    return [([int(rng.integers(12, 700)), int(rng.integers(1, 12))], None) for _ in range(10)]


@pytest.fixture(scope="session")
def forward_settings():
    """Grader-chosen constructor settings and input lengths (T = n_frames, never 646 only).

    The first is the handout's defaults; strides, paddings, pool sizes and dropout vary so
    that each of them changes the output of at least one setting.
    """
    return [
        {"kwargs": {}, "frames": 108, "batch": 3},
        {"kwargs": {"conv1_channels": 8, "conv2_channels": 12, "conv1_kernel": 3, "conv2_kernel": 3,
                    "conv1_padding": 1, "conv2_padding": 0, "pool1_size": 2, "pool2_size": 3,
                    "n_frames": 646, "n_mels": 40}, "frames": 646, "batch": 2},
        {"kwargs": {"conv1_kernel": 7, "conv1_stride": 2, "conv1_padding": 3, "conv2_kernel": 3,
                    "conv2_stride": 1, "conv2_padding": 1, "pool1_size": 3, "pool2_size": 2,
                    "dropout": 0.5, "n_frames": 431, "n_mels": 40}, "frames": 431, "batch": 4},
        {"kwargs": {"conv1_channels": 4, "conv2_channels": 6, "conv1_kernel": 5, "conv2_kernel": 3,
                    "conv1_stride": 1, "conv2_stride": 2, "conv1_padding": 2, "conv2_padding": 1,
                    "pool1_size": 2, "pool2_size": 2, "dropout": 0.3, "n_frames": 201, "n_mels": 64},
         "frames": 201, "batch": 5},
        {"kwargs": {"conv1_channels": 6, "conv2_channels": 10, "conv1_kernel": 3, "conv2_kernel": 5,
                    "conv1_stride": 2, "conv2_stride": 1, "conv1_padding": 1, "conv2_padding": 2,
                    "pool1_size": 2, "pool2_size": 2, "dropout": 0.1, "n_frames": 77, "n_mels": 40},
         "frames": 77, "batch": 2},
    ]


@pytest.fixture(scope="session")
def model_probe(grading: GradingContext, formula_cases, default_cases, forward_settings):
    """One sandboxed run: the formula's values, then a report per model setting."""
    request = {"formula_cases": [args for _, args, _ in formula_cases] + [args for args, _ in default_cases],
               "settings": forward_settings}
    return grading.probe("model", request)


@pytest.fixture(scope="session")
def sigmoid_model(model_probe) -> bool:
    """Whether the student's forward ends in a sigmoid (charged by 2.10 alone), so that its outputs
    are probabilities: then test() is also judged on outputs in (0, 1) and the held-out outputs
    are read as probabilities (> 0.5). A sigmoid inside the network (a gate) whose outputs are
    not all in [0, 1] does not count: its outputs are logits."""
    settings = (model_probe.response or {}).get("settings") or []
    for report in settings:
        if not isinstance(report, dict) or not report.get("ran"):
            continue
        kinds = [op.get("kind") for op in report.get("ops") or [] if isinstance(op, dict)]
        low, high = (report.get("eval_range") or [None, None])[:2]
        if kinds and kinds[-1] == "sigmoid" and low is not None and 0.0 <= low and high <= 1.0:
            return True
    return False
