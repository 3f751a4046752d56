"""5. The training script runs end to end, as a student runs it."""

import re

import numpy as np
import pytest
from probe_schemas import MainResponse

from kit.data.feature_files import read_feature_file, write_feature_file
from kit.data.manifest import SPLIT_FOLDERS
from kit.grader import describe_failure, fail, note, require

MAX_EPOCHS = 2
ARGS = ["--max-epochs", str(MAX_EPOCHS)]
# Passes over the (shuffling) training data a script given ARGS makes at most: one per epoch,
# one more per epoch for a training accuracy, and one look at the first batch for its shape.
MAX_TRAINING_PASSES = 2 * MAX_EPOCHS + 1
# A clip length the student never saw (the embedded corpus has 108 frames, GTZAN 646).
FRAMES = 64
ACCURACY_LINE = re.compile(r"acc[a-z]*\W.*?(\d+(?:\.\d+)?)\s*(%?)", re.IGNORECASE)


def _small_feature_folder(public, target):
    """16 training, 8 validation and 8 testing clips (balanced) from the public splits, cropped to FRAMES."""
    def by_label(split):
        clips = {0: [], 1: []}
        for path in sorted((public / SPLIT_FOLDERS[split]).glob("*.npz")):
            features, label = read_feature_file(path)
            clips[int(label)].append((path.name, np.asarray(features)[:FRAMES], int(label)))
        return clips

    train, val = by_label("train"), by_label("val")
    picks = {"train": train[0][:8] + train[1][:8], "val": val[0][:4] + val[1][:4], "test": val[0][4:8] + val[1][4:8]}
    for split, clips in picks.items():
        for name, features, label in clips:
            write_feature_file(target / SPLIT_FOLDERS[split] / name, features, label)
    return target


@pytest.fixture(scope="module")
def main_run(grading, tmp_path_factory):
    if grading.features is None:
        pytest.fail("the grader was started without --features")
    folder = _small_feature_folder(grading.features / "public", tmp_path_factory.mktemp("main") / "features")
    mels = int(read_feature_file(next((folder / SPLIT_FOLDERS["train"]).glob("*.npz")))[0].shape[1])
    request = {"data": "main_data", "args": ARGS, "max_epochs": MAX_EPOCHS, "frames": FRAMES, "mels": mels}
    result = grading.probe("main", request, folders={"main_data": folder})
    return require(result, "running your training script", schema=MainResponse), result


def _explain(response):
    """What went wrong, in the terms of the two commonest faults: a wrong import, a path of one's own computer."""
    failure = response.get("failure") or {}
    kind, message = failure.get("type", ""), str(failure.get("message", ""))
    command = (f"python {response['training_file']} {response.get('data_argument') or '<data folder>'} {' '.join(ARGS)} "
               f"(a data folder of clips with T = {FRAMES} frames, given relative to the working folder)")
    if response.get("stopped_after"):
        return (f"{command} was still running after {response['stopped_after']} passes over its data loaders, so "
                f"the grader stopped it; a script that honours {' '.join(ARGS)} makes about {2 * MAX_EPOCHS + 1} "
                "(one over the training and one over the validation data per epoch, then one over the test "
                "data). Pass --max-epochs on to train() as max_epochs, and end train()'s epoch loop there and "
                "when patience runs out.")
    missing = re.search(r"No module named '([^']+)'", message)
    if kind == "ModuleNotFoundError" and missing and missing.group(1).startswith("dataset_class_") and response["dataset_file"]:
        return (f"{command} failed: main() imports {missing.group(1)}, but the submitted dataset file is "
                f"{response['dataset_file']}: change the import to "
                f"`from {response['dataset_file'][:-3]} import get_data_loaders`.")
    if kind == "ModuleNotFoundError" and missing and missing.group(1).split(".")[0].startswith(("my_cnn_system_", "training_")):
        return (f"{command} failed: main() imports {missing.group(1)}, but the submitted model file is "
                f"{response['model_file']}: change the import to `from {response['model_file'][:-3]} import MyCNNSystem`.")
    paths = [p for p in re.findall(r"(?<![\w.\-])(/[\w.\-/ ]*[\w.\-]|[A-Za-z]:\\[^'\s]+)", message)
             if not p.startswith(response["data"]) and not p.startswith("/sandbox")]
    if kind in ("FileNotFoundError", "NotADirectoryError", "PermissionError") and paths:
        return (f"{command} failed: main() opened {paths[0]!r}, a path of your own computer. Take the data "
                "folder from the command line (argparse or sys.argv) and open nothing else.\n"
                + describe_failure(failure, doing="main()"))
    argument = response.get("data_argument")
    if kind in ("FileNotFoundError", "NotADirectoryError") and argument and f"/{argument}" in message:
        return (f"{command} failed: main() looked for the data folder {argument!r} inside the script's own folder; "
                "a path on the command line is relative to the folder the script is started from: use it as "
                "given (no os.path.join with the script's folder).\n" + describe_failure(failure, doing="main()"))
    if kind in ("FileNotFoundError", "NotADirectoryError"):
        return (f"{command} failed: main() opened a path that does not exist when the script runs from another "
                "folder. Take the data folder from the command line and open nothing else.\n"
                + describe_failure(failure, doing="main()"))
    if failure:
        return describe_failure(failure, doing=f"{command}: main()")
    stderr = response.get("stderr", "").strip()
    if response["exit_code"] == 2 and "usage:" in stderr:
        return (f"{command} exited with code 2: the command line was refused. main() must accept the data folder "
                f"and the handout's options ({' '.join(ARGS)}, --patience, --seed, --batch-size).\n{stderr[-800:]}")
    return f"{command} exited with code {response['exit_code']}.\n{stderr[-800:]}".rstrip()


@pytest.mark.points(2)
@pytest.mark.handout("`python training_<name>.py <features> --max-epochs 2`, started from another folder (the data path relative to it) on clips of a length you have not seen, trains 2 epochs, exits normally and prints the test accuracy")
@pytest.mark.number("5.1")
def test_training_script_runs(main_run, request):
    """python training_<name>.py <data> --max-epochs 2 runs from another folder, trains 2 epochs and prints the test accuracy"""
    response, _ = main_run
    if response.get("failure") or response["exit_code"] != 0 or response.get("stopped_after"):
        fail(_explain(response))
    epochs = response.get("training_passes")
    # main() handed --max-epochs on to train(): a train() that ignores it is 3.1's deduction.
    handed_on = MAX_EPOCHS in (response.get("max_epochs_handed") or [])
    if epochs is not None and epochs > MAX_TRAINING_PASSES and not handed_on:
        fail(f"python {response['training_file']} <data folder> {' '.join(ARGS)} went over its training data "
             f"{epochs} times; with {' '.join(ARGS)} a script trains for 2 epochs (about {MAX_TRAINING_PASSES} "
             "passes at most, a look at the first batch included): pass args.max_epochs on to train() as max_epochs")
    lines = [line for line in response["stdout"].splitlines() if ACCURACY_LINE.search(line)]
    if not lines:
        tail = "\n".join(response["stdout"].strip().splitlines()[-5:])
        fail(f"python {response['training_file']} <data folder> {' '.join(ARGS)} ran but printed no test accuracy "
             f"(a line such as 'test accuracy: 0.875'). The last lines it printed:\n{tail or '(nothing)'}")
    note(request, f"your script printed: {lines[-1].strip()[:200]}")
    if response.get("stand_in"):
        note(request, "(your MyCNNSystem could not run on this data, so the grader's stand-in model was used; see 2.x)")
    if response.get("model_adapted"):
        note(request, f"(your MyCNNSystem ran with one change: {response['model_adapted']})")
    if response.get("dataset_substituted"):
        note(request, f"(your dataset_class file could not feed the model ({response['dataset_substituted']}), so the "
                      "course's own loaders were used; see checks 0.1 to 0.7)")
