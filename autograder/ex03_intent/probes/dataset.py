"""Part 2: the student's intent_names, ITALICDataset and get_data_loaders on a grader-made data folder.

The folder (``data/``, made on the trusted side) has a manifest whose intents are not in sorted
order and whose clips are not grouped by split or intent, under paths that do not tell either.
The dataset is built for the student's own ``INPUT_KIND`` (log-mel when the model file does not
say). Every item's input is saved as an array; loader passes report a fingerprint (the sum) of
each example they give, so the trusted side sees order, repeats and omissions.
"""

import _probe_runtime as rt
import torch
from _italic_support import DATASET_PREFIX, MODEL_PREFIX, declared_kind, first_line


def kind_of_model():
    try:
        return declared_kind(rt.import_student(MODEL_PREFIX)) or "log_mel"
    except BaseException:  # noqa: BLE001 - charged by the model checks
        return "log_mel"


def describe(value):
    if isinstance(value, torch.Tensor):
        return {"type": "Tensor", "dtype": str(value.dtype).replace("torch.", ""), "shape": list(value.shape)}
    return {"type": type(value).__name__, "shape": list(getattr(value, "shape", []) or [])}


def make_dataset(module, root, split, kind):
    try:
        return module.ITALICDataset(root, split, input_kind=kind)
    except TypeError as error:
        if "input_kind" not in str(error):
            raise
        return module.ITALICDataset(root, split)


def make_loaders(module, root, batch_size, kind):
    try:
        return module.get_data_loaders(root, batch_size, input_kind=kind)
    except TypeError as error:
        if "input_kind" not in str(error):
            raise
        return module.get_data_loaders(root, batch_size)


def fingerprints(loader, seed):
    torch.manual_seed(seed)
    batches = []
    for batch in loader:
        x, y = batch[0], batch[1]
        x = torch.as_tensor(x).double()
        batches.append({"sums": x.reshape(len(x), -1).sum(dim=1).tolist(), "intents": torch.as_tensor(y).tolist()})
    return batches


def probe(request):
    module = rt.import_student(DATASET_PREFIX)
    root = request["data"]
    kind = kind_of_model()
    response = {"kind": kind}
    try:
        response["intent_names"] = [str(n) for n in module.intent_names(root)][:100]
    except Exception as error:  # noqa: BLE001
        response["intent_names_error"] = first_line(error)
    rt.checkpoint(response)
    splits = {}
    for split in request["splits"]:
        report = {}
        try:
            dataset = make_dataset(module, root, split, kind)
            report["length"] = int(len(dataset))
            items = []
            for index in range(min(report["length"], 20)):
                item = dataset[index]
                if not isinstance(item, (tuple, list)) or len(item) != 2:
                    items.append({"error": f"item is a {type(item).__name__}, not an (input, intent) pair"})
                    continue
                x, y = item
                entry = {"x": describe(x), "y": describe(y)}
                if isinstance(y, torch.Tensor) and y.numel() == 1:
                    entry["y"]["value"] = y.item()
                elif isinstance(y, (int, float)):
                    entry["y"]["value"] = y
                if isinstance(x, torch.Tensor):
                    rt.save_array(f"{split}_{index}", x.detach().float().numpy())
                    entry["x"]["array"] = f"{split}_{index}"
                items.append(entry)
            report["items"] = items
        except Exception as error:  # noqa: BLE001
            report["error"] = first_line(error)
        splits[split] = report
        response["splits"] = splits
        rt.checkpoint(response)
    try:
        loaders = make_loaders(module, root, request["batch_size"], kind)
        if not isinstance(loaders, (tuple, list)) or len(loaders) != 3:
            response["loaders_error"] = f"get_data_loaders returned {type(loaders).__name__}, not three loaders"
        else:
            response["loaders"] = [{"passes": [fingerprints(loader, 1), fingerprints(loader, 2)]} for loader in loaders]
    except Exception as error:  # noqa: BLE001
        response["loaders_error"] = first_line(error)
    return response


rt.main(probe)
