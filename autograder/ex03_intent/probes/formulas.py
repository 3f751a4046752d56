"""Part 1: the student's count_fc_parameters and conv_stack_output_length on grader-chosen cases."""

import numbers

import _probe_runtime as rt
from _italic_support import MODEL_PREFIX


def value(result):
    if isinstance(result, bool) or not isinstance(result, numbers.Integral):
        return {"value": repr(result)[:80], "type": type(result).__name__}
    return {"value": int(result), "type": "int"}


def call(function, *args):
    try:
        return value(function(*args))
    except Exception as error:  # noqa: BLE001 - the student's code
        return {"error": f"{type(error).__name__}: {str(error)[:160]}"}


def probe(request):
    module = rt.import_student(MODEL_PREFIX)
    response = {}
    for name, cases in (("count_fc_parameters", request["fc_cases"]), ("conv_stack_output_length", request["conv_cases"])):
        function = getattr(module, name, None)
        if function is None:
            response[name] = None
            continue
        response[name] = [call(function, *case) for case in cases]
    return response


rt.main(probe)
