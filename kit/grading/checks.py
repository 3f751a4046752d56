"""How a grader judges what came back from a probe: one way to write a check.

A check fails with a message the student reads as is (got/expected). The ladder
``exists -> type -> shape -> dtype -> values`` (``check_exists``, ``check_type``,
``check_shape``, ``check_dtype``, ``check_value``) stops at the first rung that
fails, as PrairieLearn's ``Feedback.check_*`` does::

    value = check_exists(history, "stop_epoch", "the dict returned by train()")
    check_type(value, int, "stop_epoch")
    check_value(value, 6, "stop_epoch", why="epochs count from 1")

A property evaluated over several scenarios gives partial credit through
:class:`Scenarios`: each scenario passes or fails with its own message, and the test
scores ``points * passed / total``, reporting the first failure.

Probe responses are untrusted data from the sandbox. :func:`decode` validates one
against a pydantic schema; a mismatch is a ``ProbeSchemaError``, which the plugin reports
as an internal grader problem, never as the student's mistake.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class GradingFailure(AssertionError):
    """A check failed; the message is shown to the student as is (got/expected).

    ``timed_out``: the student's code hit its time limit (tagged "timeout" in the results).
    """

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class PartialCredit(AssertionError):
    """A property held for some scenarios: the test earns ``fraction`` of its points."""

    def __init__(self, fraction: float, message: str):
        super().__init__(message)
        self.fraction = max(0.0, min(1.0, fraction))


class NotApplicable(Exception):
    """Raised inside a scenario that this check cannot judge (another check charges the cause):
    the scenario counts neither as passed nor as failed."""


class ProbeSchemaError(Exception):
    """A probe's response does not have the shape its grader expects (a grader bug or a forgery)."""


def fail(message: str, *, timed_out: bool = False) -> None:
    raise GradingFailure(message, timed_out=timed_out)


def describe_failure(failure: dict[str, Any] | None, *, doing: str) -> str:
    """The one way to turn an exception reported by a probe into feedback.

    ``failure`` is ``{"type", "message", "where"}`` as written by the probe runtime;
    ``doing`` says what the student's code was asked to do ("MyCNNSystem(n_frames=201)").
    """
    failure = failure or {}
    kind = failure.get("type") or "Error"
    message = str(failure.get("message") or "").strip()
    text = f"{doing} raised {kind}: {message}" if message else f"{doing} raised {kind}"
    where = str(failure.get("where") or "").strip()
    return f"{text}\n{where}" if where else text


def check_exists(mapping: Any, key: str, what: str) -> Any:
    if not isinstance(mapping, dict):
        fail(f"{what} is a {type(mapping).__name__}, expected a dict")
    if key not in mapping:
        fail(f"{what} has no {key!r} key (it has {sorted(map(str, mapping))})")
    return mapping[key]


def type_name(value: Any) -> str:
    return type(value).__name__


def check_type(value: Any, expected: type | tuple[type, ...], what: str, *, hint: str = "") -> Any:
    expected_types = expected if isinstance(expected, tuple) else (expected,)
    # bool is an int subclass, but True is never a valid size, epoch or accuracy.
    if isinstance(value, bool) and bool not in expected_types or not isinstance(value, expected_types):
        names = " or ".join(t.__name__ for t in expected_types)
        fail(f"{what}: got {value!r} of type {type_name(value)}, expected {names}" + (f"; {hint}" if hint else ""))
    return value


def check_shape(shape: Any, expected: tuple | list, what: str, *, hint: str = "") -> None:
    got = tuple(shape) if isinstance(shape, (list, tuple)) else shape
    if got != tuple(expected):
        fail(f"{what} has shape {got}, expected {tuple(expected)}" + (f"; {hint}" if hint else ""))


def check_dtype(dtype: Any, expected: str, what: str, *, hint: str = "") -> None:
    """``expected`` is a numpy dtype name ('float32') or, with a leading '~', kinds ('~iu': any integer)."""
    kinds = expected[1:] if expected.startswith("~") else None
    ok = getattr(dtype, "kind", None) in kinds if kinds else str(dtype) == expected
    if not ok:
        wanted = {"iu": "an integer dtype", "f": "a floating dtype"}.get(kinds, expected) if kinds else expected
        fail(f"{what} has dtype {dtype}, expected {wanted}" + (f"; {hint}" if hint else ""))


def check_value(got: Any, expected: Any, what: str, *, why: str = "") -> None:
    if got != expected:
        fail(f"{what}: got {got!r}, expected {expected!r}" + (f" ({why})" if why else ""))


class Scenarios:
    """One property over several scenarios, for partial credit.

    >>> scenarios = Scenarios("early stopping cases")
    >>> for case in cases:
    ...     with scenarios.scenario(case.label):
    ...         check_value(...)
    >>> scenarios.verdict()   # passes, or raises PartialCredit/GradingFailure
    """

    def __init__(self, what: str):
        self.what = what
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def scenario(self, label: str) -> "_Scenario":
        return _Scenario(self, label)

    def verdict(self, *, note: str = "") -> None:
        total = len(self.passed) + len(self.failed)
        if not self.failed:
            return
        label, message = self.failed[0]
        text = f"{message}\n(right for {len(self.passed)} of {total} {self.what})"
        others = [other for other, _ in self.failed[1:]]
        if others:  # the student fixes more at once when the other failing cases are named too
            text += "\nalso wrong: " + "; ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
        if note:
            text += "\n" + note
        if self.passed:
            raise PartialCredit(len(self.passed) / total, text)
        fail(text)


class _Scenario:
    def __init__(self, scenarios: Scenarios, label: str):
        self.scenarios, self.label = scenarios, label

    def __enter__(self) -> "_Scenario":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            self.scenarios.passed.append(self.label)
            return False
        if issubclass(kind, GradingFailure):
            self.scenarios.failed.append((self.label, str(error)))
            return True
        if issubclass(kind, NotApplicable):
            return True
        return False  # anything else is a grader problem: let it propagate


def decode(schema: type[Model], data: Any, *, probe: str) -> Model:
    """Validate a probe's response (untrusted JSON) against the grader's schema."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ProbeSchemaError(f"probe {probe!r}: {where}: {first.get('msg')}") from None
