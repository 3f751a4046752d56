"""Stopping a train() that does not stop, by counting its passes over the data.

The probes' time limits stop such code too, but only after seconds that depend on the
machine (and on what else it runs), and the student then reads "timed out". Counting the
passes over the training loader stops it at the same epoch on every machine, sooner, and lets
the graders say what happened ("still training after 100 epochs with max_epochs=30").
"""

import contextlib

from torch.utils.data import DataLoader


class RanAway(BaseException):
    """Raised into train() when the training loader is iterated once more than allowed. A BaseException:
    a student's ``except Exception`` around a batch must not swallow it."""


def runaway_epochs(max_epochs: int) -> int:
    """Passes over the training loader after which a train() given ``max_epochs`` is stopped.

    A correct train() iterates its training loader max_epochs times; one that also measures
    the training loss in a second pass, or the loss before the first epoch, a little over
    twice that. Three times max_epochs, and never fewer than 100, leaves room for every such
    variant and still stops a runaway loop long before the time limit.
    """
    return max(100, 3 * int(max_epochs))


class PassCounter:
    """How often the counted loader was iterated while :func:`stop_after` was active."""

    def __init__(self):
        self.passes = 0
        self.tripped = False  # set by the counter itself: a RanAway raised by student code is not a runaway


@contextlib.contextmanager
def stop_after(loader: DataLoader, passes: int):
    """While active, iterating ``loader`` more than ``passes`` times raises RanAway.

    Only the training loader is counted: a train() that validates several times per epoch
    (loss, accuracy, ...) iterates the validation loader more often than it trains. The
    DataLoader class is patched because Python looks ``__iter__`` up on the type, not on the
    instance; every other loader is iterated as usual.
    """
    counter = PassCounter()
    original = DataLoader.__iter__

    def counting_iter(this):
        if this is loader:
            if counter.passes >= passes:
                counter.tripped = True
                raise RanAway(f"still training after {passes} passes over the training data")
            counter.passes += 1
        return original(this)

    DataLoader.__iter__ = counting_iter
    try:
        yield counter
    finally:
        DataLoader.__iter__ = original
