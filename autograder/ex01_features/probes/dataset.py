"""Run the student's extract_dataset_features on a small grader-made dataset.

Returns the value it returned and the produced tree (paths, sizes and raw bytes of the
files, capped); the trusted side reads the files without unpickling.
"""

import os

import _probe_runtime as rt
import numpy as np

MAX_FILES = 24
MAX_BYTES = 4 << 20


def probe(request):
    module = rt.import_student("feature_extraction_")
    function = getattr(module, "extract_dataset_features", None)
    if function is None:
        raise rt.StudentCodeError("feature_extraction_<name>.py defines no function extract_dataset_features")
    result = {}
    try:
        value = function(request["dataset_dir"], request["manifest"], request["output_dir"])
    except Exception as error:
        result["failure"] = rt.describe_error(error)
        value = None
    if isinstance(value, np.generic):
        value = value.item()
    result["returned"] = value if isinstance(value, (int, float, str, type(None))) else repr(value)[:200]
    files = []
    output = request["output_dir"]
    for root, dirs, names in os.walk(output):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            entry = {"path": os.path.relpath(path, output).replace(os.sep, "/"), "size": os.path.getsize(path)}
            if len(files) < MAX_FILES and entry["size"] <= MAX_BYTES:
                array = f"file_{len(files)}"
                with open(path, "rb") as handle:
                    rt.save_array(array, np.frombuffer(handle.read(), dtype=np.uint8))
                entry["array"] = array
            files.append(entry)
    result["files"] = files[:200]
    result["n_files"] = len(files)
    rt.checkpoint(result)
    result["script"] = run_script(request)
    return result


def run_script(request):
    """The file run as a script, as a student runs it, from a folder that is not its own."""
    import contextlib
    import io
    import runpy
    import sys

    script = rt.find_student_file("feature_extraction_")
    report = {"file": os.path.basename(script)}
    elsewhere = os.path.join(rt.ROOT, "_elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    output = os.path.join(rt.ROOT, "script_out")
    sys.argv = [script, os.path.join(rt.ROOT, request["dataset_dir"]), os.path.join(rt.ROOT, request["manifest"]), output]
    out, err = io.StringIO(), io.StringIO()
    report["exit_code"] = 0
    os.chdir(elsewhere)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        report["exit_code"] = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException as error:
        report["exit_code"] = 1
        report["failure"] = rt.describe_error(error)
    finally:
        os.chdir(rt.ROOT)
    report["stderr"] = err.getvalue()[-2000:]
    report["n_files"] = sum(name.endswith(".npz") for _, _, names in os.walk(output) for name in names)
    return report


rt.main(probe)
