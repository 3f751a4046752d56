"""Stopping a train() that does not stop, by counting its passes over the data.

The probes' time limits stop such code too, but only after seconds that depend on the
machine (and on what else it runs), and the student then reads "timed out". Counting the
times a loader is iterated stops it at the same epoch on every machine, sooner, and lets
the graders say what happened ("still training after 100 epochs with max_epochs=30").
"""

import contextlib
import weakref

from torch.utils.data import DataLoader


class RanAway(BaseException):
    """Raised into train() when a loader is iterated once more than allowed. A BaseException:
    a student's ``except Exception`` around a batch must not swallow it."""


def runaway_epochs(max_epochs: int) -> int:
    """Passes over one loader after which a train() given ``max_epochs`` is stopped.

    A correct train() iterates its training loader max_epochs times; one that also measures
    the training loss in a second pass, or the loss before the first epoch, a little over
    twice that. Three times max_epochs, and never fewer than 100, leaves room for every such
    variant and still stops a runaway loop long before the time limit.
    """
    return max(100, 3 * int(max_epochs))


class PassCounter:
    """How often each DataLoader was iterated while :func:`stop_after` was active."""

    def __init__(self, limit: int):
        self.limit = limit
        self.passes: "weakref.WeakKeyDictionary[DataLoader, int]" = weakref.WeakKeyDictionary()
        self.tripped = False  # set by the counter itself: a RanAway raised by student code is not a runaway

    def of(self, loader) -> int:
        return self.passes.get(loader, 0)


@contextlib.contextmanager
def stop_after(passes: int):
    """While active, iterating any one DataLoader more than ``passes`` times raises RanAway.

    DataLoader itself is patched, so that loaders the student's own code creates (a training
    script's main()) are counted as well as the kit's.
    """
    counter = PassCounter(passes)
    original = DataLoader.__iter__

    def counting_iter(loader):
        count = counter.passes.get(loader, 0) + 1
        if count > passes:
            counter.tripped = True
            raise RanAway(f"a data loader was iterated more than {passes} times")
        counter.passes[loader] = count
        return original(loader)

    DataLoader.__iter__ = counting_iter
    try:
        yield counter
    finally:
        DataLoader.__iter__ = original
