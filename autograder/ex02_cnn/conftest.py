"""Fixtures shared by the ex02 hidden graders: one probe run serves several tests."""

import pytest

from kit.grading.pytest_plugin import GradingContext


@pytest.fixture(scope="session")
def forward_settings():
    """Grader-chosen constructor settings and input lengths, T != 646 included."""
    return [
        {"kwargs": {"n_frames": 108, "n_mels": 40}, "frames": 108, "batch": 3},
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
    ]


@pytest.fixture(scope="session")
def forward_reports(grading: GradingContext, forward_settings):
    """The forward probe's report per setting (the probe runs once per submission)."""
    return grading.probe("forward", {"settings": forward_settings})
