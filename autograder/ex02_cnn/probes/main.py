"""Run the student's training script as a student runs it: ``python training_<name>.py <data> --max-epochs 2``.

The script runs as ``__main__`` from a working directory that is not its own folder, with
only its own folder on ``sys.path`` (no alias for a misnamed import). The model module is
imported first under its real name so that a wrong formula or a model that cannot run on
this data is replaced as in the other probes (those bugs are charged elsewhere). So is a
dataset module whose loaders cannot feed a model (float32 (B, T, F) batches with integer
labels from three loaders): the kit's own (``_kit_data``) takes its place, since part 3.1's
checks charge that bug. Output is captured (capped) and returned for the trusted side to read.

A script still running after ``runaway_script_passes(max_epochs)`` passes over its loaders is
stopped there (``_runaway``) and the response says after how many: on every machine at the
same point, instead of at a time limit that depends on the machine. The passes over shuffling
loaders (the training data) are counted too, so that the trusted side sees whether the script
used ``--max-epochs``.
"""

import os

import _kit_data
import _probe_runtime as rt
from _model_support import load_model_module, model_class_for, model_notes
from _runaway import runaway_script_passes, shuffled_passes, stop_after


def student_file(prefix):
    try:
        return os.path.basename(rt.find_student_file(prefix))
    except rt.StudentCodeError:
        return None


def probe(request):
    data = os.path.join(rt.ROOT, request["data"])
    response = {"model_file": os.path.basename(rt.find_student_file("my_cnn_system_")),
                "dataset_file": student_file(_kit_data.PREFIX),
                "training_file": os.path.basename(rt.find_student_file("training_")),
                "data": data, "stand_in": None}
    module, response["formula_substituted"] = load_model_module(alias=False)
    model_class, note = model_class_for(module, request["frames"], request["mels"])
    response.update(model_notes(model_class, note))
    module.MyCNNSystem = model_class
    response["dataset_substituted"] = _kit_data.stand_in_when_unusable(alias=False, feed_from=data)
    # The data folder as a student types it from another folder: a path relative to the working
    # directory (run_script's), not to the script's own folder.
    argument = os.path.relpath(data, os.path.join(rt.ROOT, "_elsewhere"))
    # The max_epochs main() hands to its train(): a train() that ignores it is 3.1's to charge.
    handed = []

    def watch(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "train" and len(handed) < 5 \
                and os.path.basename(frame.f_code.co_filename).startswith("training_"):
            value = frame.f_locals.get("max_epochs")
            handed.append(value if isinstance(value, int) and not isinstance(value, bool) else None)

    with stop_after(runaway_script_passes(request["max_epochs"])) as passes, shuffled_passes() as training:
        script = rt.run_script("training_", [argument, *request["args"]], watch=watch)
    response.update(exit_code=script["exit_code"], stdout=script["stdout"], stderr=script["stderr"],
                    stopped_after=passes.passes if passes.tripped else None, data_argument=argument,
                    training_passes=training.passes, max_epochs_handed=handed)
    if "failure" in script:
        response["failure"] = script["failure"]
    return response


rt.main(probe)
