"""3. Feature files: the serializer writes an .npz the trusted side reads without unpickling,
and the reader reads a file written by the kit.

The probe returns the raw bytes of whatever the serializer wrote; they are opened here with
``np.load(io.BytesIO(data), allow_pickle=False)``: a pickle is refused, never loaded.
"""

import numpy as np
import pytest
from probe_schemas import SerializationResponse
from feature_checks import check_label_array, read_feature_bytes, shape_text

from kit.grader import GradingFailure, check_dtype, check_shape, describe_failure, fail, note, require


def _written(serialization, *, any_name=False):
    """The serializer's report and the bytes of the one file it should have written; with
    ``any_name``, of the one file it wrote under another name (the name is 3.1's rule)."""
    case, result = serialization
    report = require(result, "running serialize_features_and_classes", schema=SerializationResponse)["serialize"]
    call = f"serialize_features_and_classes('written/{case.name}', features, {case.label})"
    if "missing" in report:
        fail(f"feature_extraction_<name>.py defines no function {report['missing']}")
    if "failure" in report:
        fail(describe_failure(report["failure"], doing=call))
    files = {entry["path"]: entry for entry in report["files"]}
    if any_name and case.name not in files and len(files) == 1:
        files = {case.name: next(iter(files.values()))}
    if case.name not in files:
        if not files:
            fail(f"{call} wrote no file; expected it to write written/{case.name}")
        names = ", ".join(f"written/{name}" for name in sorted(files))
        hint = ""
        if f"{case.name}.npz" in files:
            hint = " (np.savez appends .npz to a name that does not end in .npz; write to the path as given)"
        elif len(files) == 1:
            hint = f": write to the path as given, not a name of your own{_format_of(result, next(iter(files.values())))}"
        fail(f"{call} wrote {names}; expected exactly written/{case.name}{hint}")
    entry = files[case.name]
    data = result.arrays.get(entry.get("array", ""))
    if data is None:
        fail(f"{call} wrote a file of {entry['size']} bytes; expected a small .npz (a few kB)")
    return case, call, bytes(data.tobytes()), sorted(set(files) - {case.name})


def _format_of(result, entry) -> str:
    """What the one file written under another name is, when it is not an .npz (for the feedback)."""
    data = result.arrays.get(entry.get("array", ""))
    if data is None:
        return ""
    try:
        read_feature_bytes("it", bytes(data.tobytes()))
    except GradingFailure as problem:
        return f"; and {str(problem).splitlines()[0]}"
    return ""


def _reader_failure(failure, doing):
    """describe_failure for the reader, with the way out when it unpickles."""
    text = describe_failure(failure, doing=doing)
    if failure.get("type") == "UnpicklingError" or "pickle" in str(failure.get("message", "")).lower():
        text += ("\nYour reader unpickles the file (pickle.load, or np.load with allow_pickle=True on a pickle): "
                 "feature files are .npz archives; read them with np.load(path, allow_pickle=False) and return "
                 "(data['features'], int(data['label'])).")
    return text


@pytest.mark.points(1)
@pytest.mark.handout("your serializer writes the given path as an `.npz` that loads with `allow_pickle=False`")
@pytest.mark.number("3.1")
def test_writes_npz_readable_without_pickle(serialization, request):
    """The serializer writes the given path as an .npz that loads with allow_pickle=False"""
    case, call, data, others = _written(serialization)
    read_feature_bytes(f"the file written by {call}", data)
    if others:
        note(request, f"{call} also wrote {', '.join(others)}")


@pytest.mark.points(2)
@pytest.mark.handout("the file holds `features` (float32, as given) and `label` (int64 scalar)")
@pytest.mark.number("3.2")
def test_file_holds_features_and_label(serialization, request):
    """The file holds 'features' (float32, the given (T, 40) values) and 'label' (int64 scalar)"""
    case, call, data, _ = _written(serialization, any_name=True)
    what = f"the file written by {call}"
    try:
        arrays = read_feature_bytes(what, data)
    except GradingFailure as unreadable:
        # Not an .npz the grader reads as data: the format is 3.1's deduction. What the file holds
        # is judged as the student's own reader reads it, where it can.
        back = require(serialization[1], "running serialize_features_and_classes",
                       schema=SerializationResponse)["serialize"].get("read_back")
        features = serialization[1].arrays.get((back or {}).get("array", ""))
        if features is None:
            raise unreadable
        note(request, f"{str(unreadable).splitlines()[0]} (charged by 3.1); what it holds was judged as your "
                      "load_features_and_class reads it")
        check_shape(features.shape, case.features.shape, f"{what}, read by your reader: features",
                    hint="the array as given, time x mel")
        check_dtype(features.dtype, "float32", f"{what}, read by your reader: features",
                    hint="store them as float32 whatever they are given in: np.asarray(features, dtype=np.float32)")
        if not np.array_equal(features.astype(np.float64), case.features.astype(np.float64)):
            fail(f"{what}, read by your reader: the features differ from the array given")
        if back.get("label") != case.label:
            fail(f"{what}, read by your reader: label {back.get('label')!r}, expected {case.label}")
        return
    features = arrays["features"]
    check_shape(features.shape, case.features.shape, f"{what}: 'features'", hint="the array as given, time x mel")
    check_dtype(features.dtype, "float32", f"{what}: 'features'",
                hint="store them as float32 whatever they are given in: np.asarray(features, dtype=np.float32)")
    if not np.array_equal(features, case.features):
        fail(f"{what}: 'features' differs from the array given (largest difference "
             f"{float(np.max(np.abs(features - case.features))):.3g})")
    check_label_array(what, arrays["label"], case.label)


@pytest.mark.points(1)
@pytest.mark.handout("your reader reads a file written by the course: (features, label as a Python int)")
@pytest.mark.number("3.3")
def test_reader_reads_a_kit_file(serialization):
    """load_features_and_class reads a feature file written by the course's code: (features, label)"""
    case, result = serialization
    report = require(result, "running load_features_and_class", schema=SerializationResponse)["read"]
    call = f"load_features_and_class('given/{case.given_name}')"
    if "missing" in report:
        fail(f"feature_extraction_<name>.py defines no function {report['missing']}")
    if "failure" in report:
        fail(_reader_failure(report["failure"], doing=f"{call} on an .npz with 'features' "
                             f"{shape_text(case.given_features.shape)} float32 and 'label' {case.given_label}"))
    if report.get("returned") != "tuple" or "label" not in report:
        fail(f"{call} returned {report.get('returned')}, expected a tuple (features, label)")
    features = result.arrays.get(report.get("array", ""))
    if features is None:
        fail(f"{call} returned features of type {report.get('features_type')}, expected a float32 numpy array")
    if features.shape != case.given_features.shape or not np.allclose(features, case.given_features, atol=1e-6):
        fail(f"{call}: got features of shape {shape_text(features.shape)}, expected the file's "
             f"{shape_text(case.given_features.shape)} array unchanged")
    label = report["label"]
    if isinstance(label, bool) or not isinstance(label, (int, float)) or label != case.given_label:
        fail(f"{call}: got label {label!r} ({report.get('label_type')}), expected {case.given_label} (an int)")
    if report.get("label_type") != "int":
        fail(f"{call}: got the label as a {report.get('label_type')}, expected a Python int: int(data['label'])")


@pytest.mark.points(1)
@pytest.mark.handout("your serializer creates the file's folder when it does not exist")
@pytest.mark.number("3.4")
def test_serializer_creates_the_folder(serialization):
    """The serializer creates the file's folder when it does not exist yet"""
    case, result = serialization
    response = require(result, "running serialize_features_and_classes", schema=SerializationResponse)
    nested = response.get("nested")
    call = f"serialize_features_and_classes('nested/new/{case.name}', features, {case.label})"
    if nested is None:
        fail("feature_extraction_<name>.py defines no function serialize_features_and_classes")
    if "failure" in nested:
        missing_folder = nested["failure"].get("type") in ("FileNotFoundError", "NotADirectoryError")
        fail(describe_failure(nested["failure"], doing=call) + ("\nCreate the folder first: "
             "Path(path).parent.mkdir(parents=True, exist_ok=True)" if missing_folder else ""))
    # The folder is this check's rule; the file's name is 3.1's.
    if not nested["exists"] and not (nested.get("folder_made") and nested.get("folder_files")):
        fail(f"{call} wrote no file nested/new/{case.name}")


@pytest.mark.points(1)
@pytest.mark.handout("your reader refuses a file holding a pickled object (`allow_pickle=False`)")
@pytest.mark.number("3.5")
def test_reader_refuses_pickles(serialization):
    """load_features_and_class reads with allow_pickle=False: a file holding a pickled object is refused"""
    case, result = serialization
    response = require(result, "running load_features_and_class", schema=SerializationResponse)
    pickled = response.get("pickled")
    if pickled is None:
        fail("feature_extraction_<name>.py defines no function load_features_and_class")
    # Refusing means something only for a reader that reads a normal file (3.3).
    normal = response.get("read", {})
    if "failure" in normal:
        fail(_reader_failure(normal["failure"], doing=f"load_features_and_class('given/{case.given_name}')")
             + "\n(a reader that cannot read a normal feature file cannot be checked for refusing pickles)")
    if pickled["accepted"]:
        fail("load_features_and_class('given/clip_pickled.npz'), whose 'label' is a pickled Python object, returned "
             f"{pickled['returned']}; expected it to refuse the file: open feature files with "
             "np.load(path, allow_pickle=False), so that loading a file can never run code")
