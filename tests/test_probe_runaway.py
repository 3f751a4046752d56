"""ex02's probes stop a train() that never ends by counting passes over the data (probes/_runaway.py)."""

import sys

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from kit.grading.config import AUTOGRADER

sys.path.insert(0, str(AUTOGRADER / "ex02_cnn" / "probes"))
from _runaway import RanAway, runaway_epochs, stop_after  # noqa: E402


def _loader():
    return DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=2)


def test_the_cap_leaves_room_for_extra_passes_and_grows_with_max_epochs():
    assert runaway_epochs(30) == 100  # the scripted tables and the accuracy check
    assert runaway_epochs(2) == 100
    assert runaway_epochs(50) == 150


def test_the_training_loader_may_be_iterated_the_allowed_times_and_not_once_more():
    train = _loader()
    original = DataLoader.__iter__
    with stop_after(train, 3) as passes:
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
    with stop_after(train, 2) as passes:
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
    with stop_after(train, 5) as passes, pytest.raises(RanAway):
        student_train(train)
    assert passes.tripped and passes.passes == 5


def test_a_runaway_raised_by_student_code_is_not_the_counters():
    with stop_after(_loader(), 5) as passes, pytest.raises(RanAway):
        raise RanAway("the student's own")
    assert not passes.tripped
