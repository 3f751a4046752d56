"""Probes stop a train() that never ends by counting passes over the data (kit/sandbox/probe_library/_runaway.py)."""

import sys

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from kit.grading.pytest_plugin import PROBE_LIBRARY

sys.path.insert(0, str(PROBE_LIBRARY))
from _runaway import RanAway, runaway_epochs, runaway_script_passes, stop_after  # noqa: E402


def _loader():
    return DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=2)


def test_the_cap_leaves_room_for_extra_passes_and_grows_with_max_epochs():
    assert runaway_epochs(30) == 100  # the scripted tables and the accuracy check
    assert runaway_epochs(2) == 100
    assert runaway_epochs(50) == 150
    # A training script (5.1, --max-epochs 2): five passes over its loaders per epoch of that cap.
    assert runaway_script_passes(2) == 500


def test_the_training_loader_may_be_iterated_the_allowed_times_and_not_once_more():
    train = _loader()
    original = DataLoader.__iter__
    with stop_after(3, only=train) as passes:
        for _ in range(3):
            assert len(list(train)) == 2
        assert passes.passes == 3 and not passes.tripped
        with pytest.raises(RanAway):
            iter(train)
        assert passes.tripped and passes.passes == 3
    # Outside the block DataLoader is itself again: no count, no cap.
    assert DataLoader.__iter__ is original and all(len(list(train)) == 2 for _ in range(5))


def test_validating_several_times_per_epoch_is_not_counted():
    """A correct train() may run over the validation loader for the loss, then for the accuracy."""
    train, val = _loader(), _loader()
    with stop_after(2, only=train) as passes:
        for _ in range(2):
            list(train)
            for _ in range(4):
                assert len(list(val)) == 2
    assert passes.passes == 2 and not passes.tripped


def test_runaway_is_not_swallowed_by_except_exception():
    def student_train(loader):
        while True:
            try:
                for _ in loader:
                    pass
            except Exception:  # noqa: BLE001 - what a student writes around a batch
                pass

    train = _loader()
    with stop_after(5, only=train) as passes, pytest.raises(RanAway):
        student_train(train)
    assert passes.tripped and passes.passes == 5


def test_a_runaway_raised_by_student_code_is_not_the_counters():
    with stop_after(5, only=_loader()) as passes, pytest.raises(RanAway):
        raise RanAway("the student's own")
    assert not passes.tripped


def test_a_script_is_stopped_by_its_passes_over_every_loader():
    """5.1 counts every loader the student's script builds: it cannot tell which one trains."""
    train, val, test = _loader(), _loader(), _loader()
    with stop_after(9) as passes:
        list(train)  # the script's look at one batch for the input shape
        for _ in range(2):  # two epochs, validated twice each
            list(train), list(val), list(val)
        list(test)
        assert passes.passes == 8 and not passes.tripped
        list(val)
        with pytest.raises(RanAway, match="9 passes over the data loaders"):
            iter(test)
    assert passes.tripped and passes.passes == 9
