"""Call the student's serializer and reader; return the written files' raw bytes as data.

The trusted side opens the bytes itself, with ``np.load(..., allow_pickle=False)``: nothing
the student wrote is unpickled there. Files are capped in number and size.
"""

import os

import _probe_runtime as rt
import numpy as np

MAX_FILES = 8
MAX_BYTES = 16 << 20


def listing(folder):
    """Every file under ``folder``: relative path, size, and its bytes as a uint8 array."""
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            entry = {"path": os.path.relpath(path, folder).replace(os.sep, "/"), "size": os.path.getsize(path)}
            if len(files) < MAX_FILES and entry["size"] <= MAX_BYTES:
                array = f"written_{len(files)}"
                with open(path, "rb") as handle:
                    rt.save_array(array, np.frombuffer(handle.read(), dtype=np.uint8))
                entry["array"] = array
            files.append(entry)
    return files


def read_back(module, files):
    """The student's own reader on the one file the serializer wrote (whatever its name and
    format): what the file holds as far as the student's code can read it. The trusted side
    uses it only when the file is not an .npz it can read as data (3.1 charges the format)."""
    read = getattr(module, "load_features_and_class", None)
    if read is None or len(files) != 1:
        return None
    try:
        features, label = read(os.path.join("written", files[0]["path"]))
        array = np.asarray(features)
        if array.dtype.kind != "f":
            return None
        rt.save_array("read_back", array)
        return {"array": "read_back", "label": label if isinstance(label, (int, float)) and not isinstance(label, bool)
                else None}
    except Exception:
        return None


def probe(request):
    module = rt.import_student("feature_extraction_")
    result = {}
    serialize = getattr(module, "serialize_features_and_classes", None)
    os.makedirs("written", exist_ok=True)
    if serialize is None:
        result["serialize"] = {"missing": "serialize_features_and_classes"}
    else:
        report = {}
        try:
            serialize(os.path.join("written", request["name"]), rt.load_input("features"), request["label"])
        except Exception as error:
            report["failure"] = rt.describe_error(error)
        report["files"] = listing("written")
        report["read_back"] = read_back(module, report["files"])
        result["serialize"] = report
    if serialize is not None:
        # A folder that does not exist yet: the serializer creates it.
        nested = os.path.join("nested", "new", request["name"])
        try:
            serialize(nested, rt.load_input("features"), request["label"])
            result["nested"] = {"exists": os.path.isfile(nested),
                                "folder_made": os.path.isdir(os.path.dirname(nested)),
                                "folder_files": sorted(os.listdir(os.path.dirname(nested)))[:5]
                                if os.path.isdir(os.path.dirname(nested)) else []}
        except Exception as error:
            result["nested"] = {"failure": rt.describe_error(error)}
    read = getattr(module, "load_features_and_class", None)
    if read is not None:
        # A file whose label is a pickled object: a reader with allow_pickle=False refuses it.
        try:
            value = read(os.path.join("given", request["given_pickled"]))
            result["pickled"] = {"accepted": True, "returned": repr(value)[:120]}
        except Exception as error:
            result["pickled"] = {"accepted": False, "error": type(error).__name__}
    if read is None:
        result["read"] = {"missing": "load_features_and_class"}
    else:
        report = {}
        try:
            value = read(os.path.join("given", request["given"]))
        except Exception as error:
            report["failure"] = rt.describe_error(error)
        else:
            report["returned"] = type(value).__name__
            if isinstance(value, tuple) and len(value) == 2:
                features, label = value
                report["label"] = label.item() if isinstance(label, np.generic) else (
                    label if isinstance(label, (int, float, str)) else repr(label)[:100])
                report["label_type"] = type(label).__name__
                try:
                    array = np.asarray(features)
                    if array.dtype.kind in "fiu":
                        rt.save_array("read_features", array)
                        report["array"] = "read_features"
                except Exception:
                    pass
                report["features_type"] = type(features).__name__
        result["read"] = report
    return result


rt.main(probe)
