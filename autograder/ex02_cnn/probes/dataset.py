"""Part 3.1: observe the student's MyDataset and get_data_loaders on a grader-made feature folder.

The folder (request ``data``) has training/, validation/ and testing/ splits of different
sizes. Every file's features have their own mean, so the trusted side can tell from an item
or a batch row which file it came from, whatever the layout or dtype. The probe only
reports what it saw: per split, what ``MyDataset(split_folder)`` answered and each item's
type, dtype, shape and label (the features themselves as arrays); per loader, two passes'
batches with each row's mean and label.

When ``MyDataset(split_folder)`` cannot be created, the items are read from the datasets
behind the student's own loaders (``loader.dataset``), so that a constructor of another
signature costs only the check of the constructor.
"""

import os

import _probe_runtime as rt
import numpy as np
import torch

SPLIT_FOLDERS = ("training", "validation", "testing")


def type_name(value):
    return type(value).__name__


def dtype_name(value):
    dtype = getattr(value, "dtype", None)
    return str(dtype).replace("torch.", "") if dtype is not None else None


def as_array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def observe_item(dataset, index, key):
    seen = {"index": index}
    try:
        item = dataset[index]
    except BaseException as error:  # noqa: BLE001 - the student's code may raise anything
        seen["failure"] = rt.describe_error(error)
        return seen
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        seen["item_type"] = type_name(item)
        seen["item_length"] = len(item) if isinstance(item, (tuple, list)) else None
        return seen
    features, label = item
    seen.update(features_type=type_name(features), features_dtype=dtype_name(features),
                label_type=type_name(label), label_dtype=dtype_name(label))
    try:
        array = as_array(features)
        seen["features_shape"] = list(array.shape)
        if array.dtype.kind == "f" and array.size <= 100_000:
            rt.save_array(key, array.astype(np.float64))
            seen["features_array"] = key
    except BaseException as error:  # noqa: BLE001
        seen["features_failure"] = rt.describe_error(error)
    try:
        label_array = as_array(label)
        seen["label_shape"] = list(label_array.shape)
        seen["label_value"] = float(label_array.reshape(-1)[0]) if label_array.size == 1 else None
    except BaseException:  # noqa: BLE001
        seen["label_value"] = None
    return seen


def observe_dataset(dataset, split, n_files):
    seen = {"type": type_name(dataset)}
    try:
        seen["length"] = int(len(dataset))
    except BaseException as error:  # noqa: BLE001
        seen["length_failure"] = rt.describe_error(error)
    # A wrong len() must not hide the items: read the split's real number of files.
    seen["items"] = [observe_item(dataset, i, f"{split}_{i}") for i in range(n_files)]
    return seen


def observe_pass(loader):
    batches = []
    for x, y in loader:
        x, y = as_array(x), as_array(y)
        rows = x.reshape(x.shape[0], -1).astype(np.float64).mean(axis=1) if x.ndim >= 1 and x.shape[0] else []
        peaks = []
        if x.ndim == 3:  # where each row's largest value sits, as a sorted pair (layout-free)
            for row in x:
                peaks.append(sorted(int(i) for i in np.unravel_index(int(np.argmax(row)), row.shape)))
        batches.append({"x_shape": list(x.shape), "x_dtype": str(x.dtype), "y_shape": list(y.shape),
                        "y_dtype": str(y.dtype), "row_means": [float(v) for v in rows], "row_peaks": peaks,
                        "labels": [float(v) for v in y.reshape(-1)[:1000]] if y.dtype.kind in "fiub" else []})
        if len(batches) > 100:
            break
    return batches


def probe(request):
    module = rt.import_student("dataset_class_")
    root = os.path.join(rt.ROOT, request["data"])
    counts = request["counts"]
    response = {"direct": {}, "loaders": None, "items_from": "direct"}

    dataset_class = getattr(module, "MyDataset", None)
    for split in SPLIT_FOLDERS:
        if dataset_class is None:
            response["direct"][split] = {"failure": {"type": "AttributeError", "where": "",
                                                     "message": "dataset_class_<name>.py defines no class MyDataset"}}
            continue
        try:
            dataset = dataset_class(os.path.join(root, split))
        except BaseException as error:  # noqa: BLE001
            response["direct"][split] = {"failure": rt.describe_error(error)}
            continue
        response["direct"][split] = observe_dataset(dataset, split, counts[split])
        rt.checkpoint(response)

    if dataset_class is not None and request.get("stray_split"):
        try:
            response["stray"] = {"length": int(len(dataset_class(os.path.join(root, request["stray_split"]))))}
        except BaseException as error:  # noqa: BLE001
            response["stray"] = {"failure": rt.describe_error(error)}

    loaders_seen = {"batch_size_passed": True}
    response["loaders"] = loaders_seen
    get_data_loaders = getattr(module, "get_data_loaders", None)
    if get_data_loaders is None:
        loaders_seen["failure"] = {"type": "AttributeError", "where": "",
                                   "message": "dataset_class_<name>.py defines no function get_data_loaders"}
        return response
    rt.seed_everything(request["seed"])
    try:
        try:
            returned = get_data_loaders(root, request["batch_size"])  # positional: any parameter name
        except TypeError:
            loaders_seen["batch_size_passed"] = False
            returned = get_data_loaders(root)
    except BaseException as error:  # noqa: BLE001
        loaders_seen["failure"] = rt.describe_error(error)
        return response
    loaders_seen["returned_type"] = type_name(returned)
    loaders = list(returned) if isinstance(returned, (tuple, list)) else []
    loaders_seen["count"] = len(loaders)
    loaders_seen["loaders"] = []
    for index, loader in enumerate(loaders[:3]):
        seen = {"type": type_name(loader), "passes": []}
        try:
            for _ in range(2):
                seen["passes"].append(observe_pass(loader))
        except BaseException as error:  # noqa: BLE001
            seen["failure"] = rt.describe_error(error)
        loaders_seen["loaders"].append(seen)
        rt.checkpoint(response)
    # Items from the loaders' own datasets when MyDataset(split_folder) could not be created.
    if any("failure" in seen for seen in response["direct"].values()):
        response["items_from"] = "loaders"
        for split, loader in zip(SPLIT_FOLDERS, loaders[:3]):
            dataset = getattr(loader, "dataset", None)
            if dataset is not None and "failure" in response["direct"][split]:
                response.setdefault("from_loaders", {})[split] = observe_dataset(dataset, split, counts[split])
    return response


rt.main(probe)
