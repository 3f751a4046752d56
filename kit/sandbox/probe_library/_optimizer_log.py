"""Recording the optimizers a student's train() creates: their type and learning rate."""

import math

import torch


def _lr(value):
    """The learning rate as JSON data: a number, "nan"/"inf" for a non-finite one, else its repr."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else str(value)
    return repr(value)[:200]


class OptimizerLog:
    """While active, every ``torch.optim`` optimizer created is recorded as {"type", "lr"}."""

    def __init__(self):
        self.created = []
        self._original = torch.optim.Optimizer.__init__

    def __enter__(self):
        original, created = self._original, self.created

        def recording_init(optimizer, params, defaults, *args, **kwargs):
            created.append({"type": type(optimizer).__name__, "lr": _lr(defaults.get("lr"))})
            return original(optimizer, params, defaults, *args, **kwargs)

        torch.optim.Optimizer.__init__ = recording_init
        return self

    def __exit__(self, *exc):
        torch.optim.Optimizer.__init__ = self._original
        return False
