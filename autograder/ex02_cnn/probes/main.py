"""Run the student's training script as a student runs it: ``python training_<name>.py <data> --max-epochs 2``.

The script runs as ``__main__`` from a working directory that is not its own folder, with
only its own folder on ``sys.path`` (no alias for a misnamed import). The model module is
imported first under its real name so that a wrong formula or a model that cannot run on
this data is replaced as in the other probes (those bugs are charged elsewhere). So is a
dataset module whose loaders cannot feed a model (float32 (B, T, F) batches with integer
labels from three loaders): the kit's own (``_kit_data``) takes its place, since part 3.1's
checks charge that bug. Output is captured (capped) and returned for the trusted side to read.
"""

import os
import sys

import _kit_data
import _probe_runtime as rt
import torch
from _model_support import load_model_module, model_class_for


def dataset_problem(data):
    """Why the student's dataset module cannot feed main(), or None when it can."""
    try:
        module = rt.import_student("dataset_class_", alias=False)
        loaders = module.get_data_loaders(data, batch_size=4)
        if not isinstance(loaders, (tuple, list)) or len(loaders) != 3:
            return "its get_data_loaders does not return three loaders"
        for loader in loaders:
            x, y = next(iter(loader))
            if not (isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.ndim == 3):
                return "its loaders' batches are not float32 (B, T, F) tensors"
            if not (isinstance(y, torch.Tensor) and not y.is_floating_point() and y.shape[:1] == x.shape[:1]):
                return "its loaders' labels are not one integer per clip"
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raises
        return f"it raised {type(error).__name__}: {str(error)[:200]}"
    return None


def probe(request):
    data = os.path.join(rt.ROOT, request["data"])
    response = {"model_file": os.path.basename(rt.find_student_file("my_cnn_system_")),
                "dataset_file": os.path.basename(rt.find_student_file("dataset_class_")),
                "training_file": os.path.basename(rt.find_student_file("training_")),
                "data": data, "stand_in": None}
    module, response["formula_substituted"] = load_model_module(alias=False)
    model_class, response["stand_in"] = model_class_for(module, request["frames"], request["mels"])
    module.MyCNNSystem = model_class
    problem = dataset_problem(data)
    if problem is not None:
        response["dataset_substituted"] = problem
        name = os.path.splitext(os.path.basename(rt.find_student_file("dataset_class_")))[0]
        sys.modules[name] = _kit_data
    script = rt.run_script("training_", [data, *request["args"]])
    response.update(exit_code=script["exit_code"], stdout=script["stdout"], stderr=script["stderr"])
    if "failure" in script:
        response["failure"] = script["failure"]
    return response


rt.main(probe)
