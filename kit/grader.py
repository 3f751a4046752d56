"""What a hidden grader imports: the one module between ``autograder/<id>/`` and the kit.

A grader test judges one rule with the probes' results (``grading`` fixture: the submission's
:class:`GradingContext`), fails with feedback written for the student (``fail``, ``require``,
the ``check_*`` helpers, :class:`Scenarios` for a rule tried on several cases) and may attach
data or a note to its result (``attach``, ``note``). Everything here is stable for graders; the
modules behind it are the engine's own.
"""

from kit.grading.checks import (GradingFailure, NotApplicable, PartialCredit, ProbeSchemaError, Scenarios,
                                check_dtype, check_exists, check_shape, check_type, check_value, decode,
                                describe_failure, fail, type_name)
from kit.grading.ground_truth import cached, memoized
from kit.grading.pytest_plugin import GradingContext, attach, grading_context, note, require

__all__ = [
    "GradingContext", "GradingFailure", "NotApplicable", "PartialCredit", "ProbeSchemaError", "Scenarios", "attach",
    "check_dtype", "check_exists", "check_shape", "check_type", "check_value", "decode", "describe_failure", "fail",
    "grading_context", "cached", "memoized", "note", "require", "type_name",
]
