"""Run the student's extract_dataset_features on a small grader-made dataset.

Returns the value it returned and the produced tree (paths, sizes and raw bytes of the
files, capped); the trusted side reads the files without unpickling.

One bug, one deduction: when the student's get_audio_file_data, extract_mel_band_energies
(one that raises on plain audio) or serializer fails a quick self-check here, the module's
function is replaced by a correct one before the dataset run (their own checks, 1.x, 2.x and
3.x, charge the bug), and the response says so.
"""

import os

import _probe_runtime as rt
import numpy as np

MAX_FILES = 24
MAX_BYTES = 4 << 20


def correct_loader(path, sr=22050):
    import librosa

    audio, rate = librosa.load(path, sr=sr, mono=True)
    return audio.astype(np.float32), int(rate)


def correct_serializer(path, features, label):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, features=np.asarray(features, dtype=np.float32), label=np.asarray(label, dtype=np.int64))


def correct_extractor(audio, sr=22050, n_fft=2048, hop_length=1024, n_mels=40):
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(audio, dtype=np.float32), sr=sr, n_fft=n_fft,
                                         hop_length=hop_length, n_mels=n_mels, power=2.0)
    return np.log10(mel + 1e-10).T.astype(np.float32)


def extractor_works(function):
    """Whether the student's extractor gives a 2-D float array for plain audio. Its values are 2.x's
    to judge (4.3 compares the files with what it gives), but one that raises on samples (it wants
    a path, say) would leave the dataset checks nothing to judge."""
    try:
        array = np.asarray(function(np.zeros(22050, dtype=np.float32), 22050))
        return array.ndim == 2 and array.dtype.kind == "f"
    except Exception:
        return False


def loader_works(function, path):
    try:
        audio, rate = function(path, sr=22050)
        want, _ = correct_loader(path, 22050)
        audio = np.asarray(audio, dtype=np.float64)
        if rate != 22050 or audio.shape != want.shape:
            return False
        return float(np.sqrt(np.mean((audio - want) ** 2))) <= 0.02 * (float(np.sqrt(np.mean(want.astype(np.float64) ** 2))) or 1.0)
    except Exception:
        return False


def serializer_works(function):
    path = os.path.join("_selfcheck", "new", "clip.npz")
    features = np.arange(12, dtype=np.float32).reshape(3, 4)
    try:
        function(path, features, 1)
        with np.load(path, allow_pickle=False) as data:
            return (np.array_equal(data["features"], features) and data["features"].dtype == np.float32
                    and data["label"].shape == () and data["label"].dtype == np.int64 and int(data["label"]) == 1)
    except Exception:
        return False


def substitute_broken_helpers(module, request):
    replaced = []
    loader = getattr(module, "get_audio_file_data", None)
    if loader is None or not loader_works(loader, os.path.join(request["dataset_dir"], request["self_check_clip"])):
        module.get_audio_file_data = correct_loader
        replaced.append("get_audio_file_data")
    extractor = getattr(module, "extract_mel_band_energies", None)
    if extractor is None or not extractor_works(extractor):
        module.extract_mel_band_energies = correct_extractor
        replaced.append("extract_mel_band_energies")
    serializer = getattr(module, "serialize_features_and_classes", None)
    if serializer is None or not serializer_works(serializer):
        module.serialize_features_and_classes = correct_serializer
        replaced.append("serialize_features_and_classes")
    return replaced


def probe(request):
    module = rt.import_student("feature_extraction_")
    function = getattr(module, "extract_dataset_features", None)
    if function is None:
        raise rt.StudentCodeError("feature_extraction_<name>.py defines no function extract_dataset_features")
    result = {"replaced": substitute_broken_helpers(module, request)}
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
    result["own"] = own_features(module, request)
    result["read_back"] = read_back(module, files, output)
    rt.checkpoint(result)
    result["script"] = run_script(request)
    return result


def own_features(module, request):
    """The student's extract_mel_band_energies on each clip's correctly read and padded audio."""
    extract = getattr(module, "extract_mel_band_energies", None)
    own = []
    for name in request.get("clips", []):
        try:
            array = np.asarray(extract(rt.load_input(name), 22050))
            if array.dtype.kind == "f":
                rt.save_array(f"own_{name}", array)
                own.append(f"own_{name}")
                continue
        except Exception:
            pass
        own.append(None)
    return own


def read_back(module, files, output):
    """Each written file as the student's own load_features_and_class reads it (features, label).

    Used by the trusted side only when a file is not a readable .npz: the file format is the
    serializer's rule (3.x), while 4.2 and 4.3 judge which label and features were stored.
    """
    read = getattr(module, "load_features_and_class", None)
    back = {}
    for entry in files[:MAX_FILES]:
        try:
            features, label = read(os.path.join(output, entry["path"]))
            features = np.asarray(features)
            if features.dtype.kind != "f":
                continue
            name = f"back_{len(back)}"
            rt.save_array(name + "_features", features)
            back[entry["path"]] = {"features": name + "_features", "label": float(label)}
        except Exception:
            continue
    return back


def run_script(request):
    """The file run as a script, as a student runs it, from a folder that is not its own."""
    output = os.path.join(rt.ROOT, "script_out")
    argv = [os.path.join(rt.ROOT, request["dataset_dir"]), os.path.join(rt.ROOT, request["manifest"]), output]
    calls = []

    def watch(frame, event, arg):
        # Which arguments main() passes on: with a broken serializer (3.x) no files can appear.
        if event == "call" and frame.f_code.co_name == "extract_dataset_features" and len(calls) < 3:
            calls.append([str(value) for value in list(frame.f_locals.values())[:3]])

    report = rt.run_script("feature_extraction_", argv, watch=watch, keep=4000)
    del report["stdout"]
    report.update(called_with=calls, argv=argv, stderr=report["stderr"][-2000:],
                  n_files=sum(name.endswith(".npz") for _, _, names in os.walk(output) for name in names))
    return report


rt.main(probe)
