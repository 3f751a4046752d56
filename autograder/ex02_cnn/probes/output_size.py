"""Call the student's conv_output_size on grader-chosen arguments and report the values."""

import _probe_runtime as rt


def probe(request):
    module = rt.import_student("my_cnn_system_")
    function = getattr(module, "conv_output_size", None)
    if function is None:
        raise rt.StudentCodeError("my_cnn_system_<name>.py defines no function conv_output_size")
    values = []
    for args in request["cases"]:
        try:
            value = function(*args)
        except Exception as error:  # report the first failing call, with its arguments
            return {"values": values, "failed_args": args, "failure": rt.describe_error(error)}
        values.append(value if isinstance(value, (int, float)) else repr(value))
    return {"values": values}


rt.main(probe)
