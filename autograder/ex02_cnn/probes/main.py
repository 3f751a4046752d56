"""Run the student's training script as a student runs it: ``python training_<name>.py <data> --max-epochs 2``.

The script runs as ``__main__`` from a working directory that is not its own folder, with
only its own folder on ``sys.path`` (no alias for a misnamed import). The model module is
imported first under its real name so that a wrong formula or a model that cannot run on
this data is replaced as in the other probes (those bugs are charged elsewhere). Output is
captured (capped) and returned for the trusted side to read.
"""

import contextlib
import os
import runpy
import sys

import _probe_runtime as rt
from _model_support import load_model_module, model_class_for

KEEP = 16384


class CappedText:
    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, text):
        if self.size < KEEP:
            self.parts.append(text[: KEEP - self.size])
        self.size += len(text)
        return len(text)

    def flush(self):
        pass

    def value(self):
        return "".join(self.parts)


def probe(request):
    data = os.path.join(rt.ROOT, request["data"])
    response = {"model_file": os.path.basename(rt.find_student_file("my_cnn_system_")),
                "training_file": os.path.basename(rt.find_student_file("training_")),
                "data": data, "stand_in": None}
    module, response["formula_substituted"] = load_model_module(alias=False)
    model_class, response["stand_in"] = model_class_for(module, request["frames"], request["mels"])
    module.MyCNNSystem = model_class
    elsewhere = os.path.join(rt.ROOT, "_elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    os.chdir(elsewhere)
    script = os.path.join(rt.ROOT, response["training_file"])
    sys.argv = [script, data, *request["args"]]
    out, err = CappedText(), CappedText()
    exit_code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        exit_code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, int) and stop.code is not None:
            err.write(str(stop.code))
    except BaseException as error:
        exit_code = 1
        response["failure"] = rt.describe_error(error)
    finally:
        os.chdir(rt.ROOT)
    response.update(exit_code=exit_code, stdout=out.value(), stderr=err.value())
    return response


rt.main(probe)
