"""4. extract_dataset_features on a small grader-made dataset with its manifest.

Six clips (two corpus clips, four synthetic ones, 1.7-5 s long) in folders that do not tell
the class; the manifest gives each clip's label and split. Expected: one .npz per clip in
``<split folder>/<clip name>.npz``, label = index in ``dataset.labels``, features of the clip
padded or cropped to ``nominal_duration`` (same T for every clip).
"""

import re

import numpy as np
import pytest
from probe_schemas import DatasetResponse
from feature_checks import check_features, frames_center_false, read_feature_bytes

from kit.grader import GradingFailure, describe_failure, fail, note, require

CALL = "extract_dataset_features('dataset', 'manifests/tiny.json', 'features_out')"


def _run(dataset):
    manifest, clips, result = dataset
    response = require(result, f"running {CALL}", schema=DatasetResponse)
    if "failure" in response:
        fail(describe_failure(response["failure"], doing=CALL))
    return manifest, clips, response, result.arrays


def _stored(clip, response, arrays, what):
    """The label and features stored for ``clip``: read from the .npz as data, or, when the file
    is not a readable .npz (the serializer's deduction, 3.x), as the student's own reader reads it."""
    path, data = _file_of(clip, response, arrays)
    try:
        return read_feature_bytes(what, data)
    except GradingFailure:
        back = response.get("read_back", {}).get(path)
        if back is None or back["features"] not in arrays:
            raise
        return {"features": arrays[back["features"]], "label": np.asarray(back["label"])}


def _file_of(clip, response, arrays):
    """(path, bytes) of what the student wrote for ``clip`` (fails if there is no such file).

    A file in the wrong folder but with the clip's name is still judged here: where it is
    written is 4.1's rule, not this one's.
    """
    entry = next((e for e in response["files"] if e["path"] == clip.output), None)
    if entry is None:
        same_name = [e for e in response["files"] if e["path"].rsplit("/", 1)[-1].split(".")[0] == clip.stem]
        entry = same_name[0] if len(same_name) == 1 else None
    if entry is None:
        fail(f"{CALL} wrote no features_out/{clip.output} for clip {clip.path} (split {clip.split!r}); see 4.1")
    data = arrays.get(entry.get("array", ""))
    if data is None:
        fail(f"features_out/{clip.output} is {entry['size']} bytes; expected a small .npz")
    return entry["path"], bytes(data.tobytes())


@pytest.mark.points(2)
@pytest.mark.handout("`extract_dataset_features` on a small dataset: one `<clip>.npz` per clip in its split folder; returns the count")
@pytest.mark.number("4.1")
def test_one_file_per_clip_in_its_split_folder(dataset, request):
    """One <clip name>.npz per manifest clip in training/, validation/ or testing/; returns the count"""
    manifest, clips, response, _ = _run(dataset)
    written = {entry["path"] for entry in response["files"]}
    expected = {clip.output for clip in clips}
    if not written:
        fail(f"{CALL} wrote no files; expected {len(expected)}: {', '.join(sorted(expected))}")
    by_stem = {}
    for path in written:
        by_stem.setdefault(path.rsplit("/", 1)[-1].split(".")[0], []).append(path)
    for clip in clips:
        if clip.output not in written:
            found = by_stem.get(clip.stem)
            where = f"; found {', '.join(sorted(found))}" if found else ""
            fail(f"no features_out/{clip.output} for clip {clip.path} (split {clip.split!r} -> folder "
                 f"{clip.output.split('/')[0]}/, file name = clip name + .npz){where}")
    extra = sorted(written - expected)
    if extra:
        fail(f"{CALL} wrote {len(written)} files, expected exactly one per clip ({len(expected)}); "
             f"unexpected: {', '.join(extra[:8])}")
    returned = response["returned"]
    if isinstance(returned, bool) or not isinstance(returned, (int, float)) or returned != len(expected):
        fail(f"{CALL} returned {returned!r}, expected {len(expected)} (the number of files written)")
    if response.get("replaced"):
        note(request, f"The dataset checks used a correct {' and '.join(response['replaced'])} in place of yours, "
                      "whose mistakes are charged once, in 1.x, 2.x and 3.x.")


@pytest.mark.points(1)
@pytest.mark.handout("each label is the index of the clip's class in the manifest's `dataset.labels` (in the manifest's order)")
@pytest.mark.number("4.2")
def test_labels_from_the_manifest(dataset):
    """Each file's label is the index of the clip's class in the manifest's dataset.labels"""
    manifest, clips, response, arrays = _run(dataset)
    labels = manifest.dataset.labels
    for clip in clips:
        what = f"features_out/{clip.output}"
        stored = _stored(clip, response, arrays, what)
        label, expected = stored["label"], labels.index(clip.label)
        # The label's dtype is the serializer's rule (3.2); here only which class it names counts.
        if label.size != 1 or label.dtype.kind not in "iuf" or float(label.reshape(-1)[0]) != expected:
            fail(f"{what} (class {clip.label!r}, manifest labels {labels}): got label {label.tolist()!r}, expected "
                 f"{expected}, the index of {clip.label!r} in the manifest's dataset.labels")


@pytest.mark.points(2)
@pytest.mark.handout("the features of each clip, read at 22050 Hz (whatever the file's rate) and padded or cropped to `nominal_duration` (not always whole seconds)")
@pytest.mark.number("4.3")
def test_features_match_the_reference(dataset, request):
    """Each file's features match the reference: (T, 40) float32 of the clip padded/cropped to nominal_duration"""
    manifest, clips, response, arrays = _run(dataset)
    nominal = manifest.dataset.audio.nominal_duration
    n_samples = int(round(nominal * manifest.dataset.sample_rate))
    own = response.get("own", [])
    for index, clip in enumerate(clips):
        what = f"features_out/{clip.output}"
        stored = _stored(clip, response, arrays, what)
        got = stored["features"]
        # What the student's own extractor gives on the right audio: a mistake there is 2.x's.
        mine = arrays.get(own[index]) if index < len(own) and own[index] else None
        if mine is not None and got.shape == mine.shape and np.allclose(got, mine, atol=1e-3, equal_nan=True):
            continue
        frames, mels = clip.expected.shape
        uncentered = frames_center_false(n_samples, 2048, 1024)
        if got.ndim == 2 and got.shape[1] == mels and got.shape[0] not in (frames, uncentered):
            seconds = next(c.duration for c in manifest.clips if c.path == clip.path)
            fail(f"{what}: got {got.shape[0]} frames, expected {frames} for every clip: pad with zeros or crop "
                 f"each clip to the manifest's nominal_duration ({nominal:g} s = {n_samples} samples) before "
                 f"extracting ({clip.path} lasts {seconds:g} s)")
        try:
            check_features(what, got, clip.expected, n_samples, 2048, 1024, strict_layout=True)
        except GradingFailure as failure:
            if clip.rate != 22050:
                fail(f"{failure}\n{clip.path} is a {clip.rate} Hz file: read every clip at 22050 Hz "
                     "(get_audio_file_data(path, sr=22050)) whatever its own rate")
            raise
        if got.dtype != np.float32:
            fail(f"{what}: 'features' has dtype {got.dtype}, expected float32")


def _failed_in(failure, helpers) -> bool:
    """Whether the innermost frame of the student's code in ``failure`` is one of ``helpers``."""
    frames = re.findall(r", in (\w+)", str(failure.get("where") or ""))
    return bool(helpers) and bool(frames) and frames[-1] in helpers


@pytest.mark.points(1)
@pytest.mark.handout("`python feature_extraction_<name>.py <dataset> <manifest> <output>`, started from another folder, writes the features")
@pytest.mark.number("4.4")
def test_script_runs_from_another_folder(dataset, request):
    """python feature_extraction_<name>.py <dataset> <manifest> <output>, started from another folder, writes the features"""
    manifest, clips, result = dataset
    response = require(result, "running your script", schema=DatasetResponse)
    script = response.get("script")
    if script is None:
        fail(f"running your script: {result.describe()}")
    command = f"python {script['file']} dataset manifests/tiny.json script_out"
    passed_on = [call for call in script.get("called_with", []) if call == script.get("argv")]
    if script.get("failure") and passed_on and _failed_in(script["failure"], response.get("replaced")):
        # main() handed its arguments on; what failed after that is a helper the other checks charge.
        note(request, describe_failure(script["failure"], doing=f"{command}: main()")
             + f"\nmain() passed its arguments on to extract_dataset_features, which then failed in your "
               f"{' or '.join(response['replaced'])}: charged by its own checks, not here")
        return
    if script.get("failure"):
        hint = ""
        if script["failure"].get("type") in ("FileNotFoundError", "NotADirectoryError"):
            hint = ("\nTake the dataset folder, the manifest and the output folder from the command line "
                    "(sys.argv or argparse), never paths of your own computer.")
        fail(describe_failure(script["failure"], doing=f"{command}: main()") + hint)
    if script["exit_code"] != 0:
        fail(f"{command} exited with code {script['exit_code']}\n{script.get('stderr', '')[-600:]}".rstrip())
    if script["n_files"] != len(clips) and not (passed_on and response.get("replaced")):
        fail(f"{command} wrote {script['n_files']} .npz files under script_out/, expected {len(clips)} (one per clip): "
             "main() must pass its command-line arguments to extract_dataset_features")
