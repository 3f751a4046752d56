"""Stopping a train() (or a training script) that does not stop, by counting its passes over the data.

The probes' time limits stop such code too, but only after seconds that depend on the
machine (and on what else it runs), and the student then reads "timed out". Counting the
passes over the data stops it at the same epoch on every machine, sooner, and lets the
graders say what happened ("still training after 100 epochs with max_epochs=30").
"""

import contextlib

from torch.utils.data import DataLoader, RandomSampler


class RanAway(BaseException):
    """Raised into the student's code when the counted loaders are iterated once more than allowed. A
    BaseException: a student's ``except Exception`` around a batch must not swallow it."""


def runaway_epochs(max_epochs: int) -> int:
    """Passes over the training loader after which a train() given ``max_epochs`` is stopped.

    A correct train() iterates its training loader max_epochs times; one that also measures
    the training loss in a second pass, or the loss before the first epoch, a little over
    twice that. Three times max_epochs, and never fewer than 100, leaves room for every such
    variant and still stops a runaway loop long before the time limit.
    """
    return max(100, 3 * int(max_epochs))


def runaway_script_passes(max_epochs: int) -> int:
    """Passes over all of its loaders after which a training script given ``--max-epochs`` is stopped.

    The script builds its own loaders, so the grader cannot tell which one trains. Per epoch
    a script iterates its training loader once and its validation loader once or a few
    times (loss, then accuracy): five passes per epoch for ``runaway_epochs`` epochs is more
    than a script that stops ever makes, even one that ignores --max-epochs and stops on its
    own patience or its own default of 100 epochs.
    """
    return 5 * runaway_epochs(max_epochs)


class PassCounter:
    """How often the counted loaders were iterated while :func:`stop_after` was active."""

    def __init__(self):
        self.passes = 0
        self.tripped = False  # set by the counter itself: a RanAway raised by student code is not a runaway


@contextlib.contextmanager
def stop_after(passes: int, *, only: DataLoader | None = None):
    """While active, iterating the data loaders more than ``passes`` times in all raises RanAway.

    ``only``: count that loader alone, the training loader when the grader built it. A
    train() that validates several times per epoch (loss, accuracy, ...) iterates the
    validation loader more often than it trains, so only training passes are epochs.
    """
    what = "the training data" if only is not None else "the data loaders"
    with _counting(lambda loader: only is None or loader is only, limit=passes, what=what) as counter:
        yield counter


@contextlib.contextmanager
def shuffled_passes():
    """Counts the passes over shuffling data loaders (a RandomSampler: the training data) while
    active, with no limit; a training script given ``--max-epochs 2`` makes about two."""
    with _counting(lambda loader: isinstance(getattr(loader, "sampler", None), RandomSampler)) as counter:
        yield counter


@contextlib.contextmanager
def _counting(counts, *, limit: int | None = None, what: str = ""):
    """Count the passes over the loaders for which ``counts(loader)`` holds; past ``limit``, raise
    RanAway. The DataLoader class is patched because Python looks ``__iter__`` up on the type,
    not on the instance; a loader that is not counted is iterated as usual. Nests: the inner
    counter calls the outer one's patch."""
    counter = PassCounter()
    original = DataLoader.__iter__

    def counting_iter(this):
        if counts(this):
            if limit is not None and counter.passes >= limit:
                counter.tripped = True
                raise RanAway(f"still training after {limit} passes over {what}")
            counter.passes += 1
        return original(this)

    DataLoader.__iter__ = counting_iter
    try:
        yield counter
    finally:
        DataLoader.__iter__ = original
