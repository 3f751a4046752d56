"""Run the student's training script as a student runs it: ``python training_intent_<name>.py <data> --max-epochs 2``.

The script runs as ``__main__`` from a working directory that is not its own folder, on a small
grader-made data folder (manifest.json and FLAC clips, the release's layout). A model file that
cannot be used is replaced by the stand-in, and a dataset module whose loaders cannot feed a
model by the kit's own (those bugs are charged by parts 2 and 3). Every pass over a loader is
recorded with the split its dataset was made for, so the trusted side sees when the test split
was read. Output is captured (capped) and returned for the trusted side to read. A script still
running after ``runaway_script_passes(max_epochs)`` passes over its loaders is stopped there
(``_runaway``), on every machine at the same point.
"""

import inspect
import os

import _probe_runtime as rt
import torch
from _runaway import runaway_script_passes, stop_after
from _italic_support import (DATASET_PREFIX, dataset_or_stand_in, model_stand_in_for_import, split_registry,
                             student_model)


def record_splits(log, student_dataset):
    """Every ITALICDataset made from now on remembers its split; every loader pass logs it. The
    stand-in dataset records its own; the student's module (``student_dataset``) is patched."""
    splits = split_registry()
    cls = None
    if student_dataset:
        try:
            cls = getattr(rt.import_student(DATASET_PREFIX, alias=False), "ITALICDataset", None)
        except BaseException:  # noqa: BLE001 - it imported a moment ago
            cls = None
    if isinstance(cls, type) and cls.__module__ != "_italic_support":
        original = cls.__init__

        def init(self, *args, __original=original, **kwargs):
            try:
                split = inspect.signature(__original).bind(self, *args, **kwargs).arguments.get("split")
            except TypeError:
                split = None
            splits[id(self)] = split if isinstance(split, str) else None
            __original(self, *args, **kwargs)

        cls.__init__ = init
    original_iter = torch.utils.data.DataLoader.__iter__

    def iterate(loader):
        if len(log) < 500:
            log.append(splits.get(id(loader.dataset), "?"))
        return original_iter(loader)

    torch.utils.data.DataLoader.__iter__ = iterate


def probe(request):
    data = os.path.join(rt.ROOT, request["data"])
    kind, model_class, model_note = student_model(request["n_intents"])
    model_stand_in_for_import(kind, model_class)
    dataset_note = dataset_or_stand_in(data, kind, alias=False)
    reads = []
    record_splits(reads, student_dataset=dataset_note is None)
    argument = os.path.relpath(data, os.path.join(rt.ROOT, "_elsewhere"))
    with stop_after(runaway_script_passes(request["max_epochs"])) as passes:
        script = rt.run_script("training_intent_", [argument, *request["args"]])
    response = {"stopped_after": passes.passes if passes.tripped else None,"exit_code": script["exit_code"], "stdout": script["stdout"], "stderr": script["stderr"],
                "file": script["file"], "kind": kind, "model_stand_in": model_note,
                "dataset_stand_in": dataset_note, "reads": reads}
    if "failure" in script:
        response["failure"] = script["failure"]
    return response


rt.main(probe)
