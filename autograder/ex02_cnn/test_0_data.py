"""0. Part 3.1, getting and initialising the data: MyDataset and get_data_loaders.

The grader writes a feature folder of its own: three splits of different sizes (9, 6 and 5
clips of T = 30 frames), every file's features with a mean of their own and their largest
value at a place of their own (so a row tells which file it came from, whatever its layout,
dtype or scaling) and labels that do not follow the files' order. Each property below is judged apart from the others: a transposed item costs
0.2 only, a float label 0.3 only, a loader over the wrong split 0.5 only.
"""

import shutil

import numpy as np
import pytest
from probe_schemas import DatasetResponse

from kit.data.feature_files import write_feature_file
from kit.grader import Scenarios, describe_failure, fail, require

SPLITS = {"training": 9, "validation": 6, "testing": 5}
FRAMES, MELS = 30, 40
BATCH_SIZE = 4
OFFSET, STEP = -6.0, 0.125  # file k's features have mean OFFSET + STEP * k
PEAK_FRAME = 2  # file k's largest value is at (PEAK_FRAME + k, k)
SEED = 20261122
STRAY_SPLIT = "training_with_stray_files"
INTEGER_LABEL_TYPES = {("int", None), ("int64", "int64"), ("ndarray", "int64"), ("Tensor", "int64")}


def _folder(target):
    """The grader's feature folder; returns {split: [(name, features, label)]} in name order."""
    rng = np.random.default_rng(SEED)
    files, index = {}, 0
    for split, count in SPLITS.items():
        labels = rng.permutation([0, 1] * count)[:count]
        files[split] = []
        for position in range(count):
            noise = rng.normal(0.0, 1.0, (FRAMES, MELS))
            noise[PEAK_FRAME + index, index] = 8.0  # far above the rest: the file's peak
            features = (OFFSET + STEP * index + noise - noise.mean()).astype(np.float32)
            name = f"clip_{position:02d}.npz"
            write_feature_file(target / split / name, features, int(labels[position]))
            files[split].append((name, features, int(labels[position])))
            index += 1
    # A split folder may hold files that are not clips (macOS's .DS_Store, a README): len()
    # counts the .npz files only. A copy of training/ with both, beside the three splits, is
    # judged by 0.1 alone, so that the other checks read clean folders.
    shutil.copytree(target / "training", target / STRAY_SPLIT)
    (target / STRAY_SPLIT / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (target / STRAY_SPLIT / "README.txt").write_text("features of the training clips\n")
    return files


def _which_file(mean, files, peak=None):
    """(split, position) of the file with this peak (layout- and scale-free), else this mean; or None."""
    if peak and len(peak) == 2 and peak[1] - peak[0] == PEAK_FRAME:
        index = peak[0]
    else:
        index = round((mean - OFFSET) / STEP)
        if abs(OFFSET + STEP * index - mean) > 0.01:
            return None
    if index < 0:
        return None
    for split, clips in files.items():
        if index < len(clips):
            return split, index
        index -= len(clips)
    return None


def _peak(array):
    """Where an item's largest value sits, as a sorted pair (the probe reports rows the same way)."""
    if array.ndim != 2:
        return None
    return sorted(int(i) for i in np.unravel_index(int(np.argmax(array)), array.shape))


@pytest.fixture(scope="module")
def data_run(grading, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dataset") / "features"
    files = _folder(folder)
    result = grading.probe("dataset", {"data": "grader_features", "counts": SPLITS, "batch_size": BATCH_SIZE,
                                       "seed": 0, "stray_split": STRAY_SPLIT}, folders={"grader_features": folder})
    response = require(result, "reading the grader's feature folder with your dataset_class file",
                       partial=True, schema=DatasetResponse)
    return response, result, files


def _items(data_run):
    """{split: observation} of the datasets whose items are judged, and a note on where they came from."""
    response, result, _ = data_run
    direct = response.get("direct", {})
    usable = {split: seen for split, seen in direct.items() if "failure" not in seen}
    from_loaders = response.get("from_loaders") or {}
    remark = ""
    for split in SPLITS:
        if split not in usable and split in from_loaders:
            usable[split] = from_loaders[split]
            remark = ("MyDataset(split_folder) could not be created (see 0.1), so the items were read from the "
                      "datasets behind your loaders.")
    return usable, remark, result


def _judge_items(data_run, check):
    usable, remark, result = _items(data_run)
    direct = data_run[0].get("direct", {})
    scenarios = Scenarios("clips")
    for split, count in SPLITS.items():
        seen = usable.get(split)
        for position in range(count):
            with scenarios.scenario(f"{split}[{position}]"):
                if seen is None and (direct.get(split) or {}).get("failure"):
                    # Say why in this check's own words: the student reads each check on its own.
                    fail(describe_failure(direct[split]["failure"], doing=f"MyDataset('.../{split}')")
                         + "\nSo no item could be read (nor from your loaders' datasets).")
                if seen is None:
                    fail(f"no dataset over {split}/ could be read: {result.describe() if not result.ok else 'see 0.1'}")
                items = seen.get("items", [])
                if position >= len(items):
                    fail(f"{split}[{position}] was not reached: {result.describe()}")
                item = items[position]
                doing = f"dataset[{position}] over {split}/"
                if item.get("failure"):
                    fail(describe_failure(item["failure"], doing=doing))
                if item.get("item_type") is not None:
                    fail(f"{doing} returned a {item['item_type']}, expected a pair (features, label)")
                check(item, doing, split, position)
    scenarios.verdict(note=remark)


@pytest.mark.points(2)
@pytest.mark.handout("`MyDataset(split_folder)` can be created, and `len()` is the folder's number of clips")
@pytest.mark.number("0.1")
def test_dataset_length(data_run):
    """MyDataset(split_folder) can be created, and len() is the folder's number of clips"""
    response, result, _ = data_run
    scenarios = Scenarios("split folders")
    for split, count in SPLITS.items():
        with scenarios.scenario(split):
            seen = response.get("direct", {}).get(split)
            doing = f"MyDataset('.../{split}')"
            if seen is None:
                fail(f"{doing} was not reached: {result.describe()}")
            if seen.get("failure"):
                signature = seen["failure"].get("type") == "TypeError"
                fail(describe_failure(seen["failure"], doing=doing)
                     + ("\nThe handout's constructor takes one argument, the split folder (e.g. features/training)."
                        if signature else ""))
            if seen.get("length_failure"):
                fail(describe_failure(seen["length_failure"], doing=f"len({doing})"))
            if seen.get("length") != count:
                fail(f"len({doing}) returned {seen.get('length')}, but {split}/ holds {count} .npz files")
    if response.get("stray"):
        with scenarios.scenario("a split folder that also holds .DS_Store and README.txt"):
            seen, count = response["stray"], SPLITS["training"]
            doing = "MyDataset('.../training') with .DS_Store and README.txt beside the clips"
            if seen.get("failure"):
                fail(describe_failure(seen["failure"], doing=doing))
            if seen.get("length") != count:
                fail(f"len({doing}) returned {seen.get('length')}, expected {count}: count and read the .npz files "
                     "only (sorted(Path(split_folder).glob('*.npz'))), not every file in the folder")
    scenarios.verdict()


@pytest.mark.points(2)
@pytest.mark.handout("an item's features are float32, shape (T, 40) (time x mel), as stored in the file")
@pytest.mark.number("0.2")
def test_item_features(data_run):
    """An item's features are float32, shape (T, 40) (time x mel), as stored in the file"""
    def check(item, doing, split, position):
        if item.get("features_type") not in ("Tensor", "ndarray"):
            fail(f"{doing} gave features of type {item.get('features_type')}, expected a float32 torch.Tensor "
                 "(a NumPy array works too: the DataLoader turns it into a tensor)")
        if item.get("features_dtype") != "float32":
            fail(f"{doing} gave features of dtype {item.get('features_dtype')}, expected float32 "
                 "(the model's weights are float32)")
        if item.get("features_shape") != [FRAMES, MELS]:
            fail(f"{doing} gave features of shape {tuple(item.get('features_shape') or ())}, expected "
                 f"({FRAMES}, {MELS}), i.e. (T, 40) as stored in the file: time x mel, not transposed or flattened")
    _judge_items(data_run, check)


@pytest.mark.points(2)
@pytest.mark.handout("an item's label is an int64 class id, 0 (speech) or 1 (music)")
@pytest.mark.number("0.3")
def test_item_label(data_run):
    """An item's label is an int64 class id, 0 (speech) or 1 (music)"""
    def check(item, doing, split, position):
        kind = (item.get("label_type"), item.get("label_dtype"))
        if kind not in INTEGER_LABEL_TYPES:
            dtype = f" of dtype {kind[1]}" if kind[1] else ""
            fail(f"{doing} gave a label of type {kind[0]}{dtype}, expected an int64 tensor (a Python int or an int64 "
                 "NumPy value works too): class ids are integers, the loss converts them itself")
        if item.get("label_shape") not in ([], None) or item.get("label_value") not in (0.0, 1.0):
            fail(f"{doing} gave a label of shape {tuple(item.get('label_shape') or ())} and value "
                 f"{item.get('label_value')}, expected a single 0 or 1")
    _judge_items(data_run, check)


@pytest.mark.points(3)
@pytest.mark.handout("`dataset[i]` returns one file's features together with that same file's label, each file once")
@pytest.mark.number("0.4")
def test_item_pairs_file_with_its_label(data_run):
    """dataset[i] returns one file's features together with that same file's label, each file once"""
    response, result, files = data_run
    arrays = result.arrays
    used = {}

    def check(item, doing, split, position):
        key = item.get("features_array")
        array = arrays.get(key) if key else None
        if array is None:
            fail(f"{doing}: its features could not be read as numbers (see 0.2)")
        found = _which_file(float(np.mean(array)), files, _peak(array))
        if found is None or found[0] != split:
            fail(f"{doing} returned features that are not those of any file in {split}/ (keep the values as "
                 "stored: no scaling or normalising in the dataset)")
        name, features, label = files[split][found[1]]
        if array.shape != features.shape and array.T.shape == features.shape:
            array = array.T  # the layout is 0.2's to judge
        if array.shape != features.shape or not np.allclose(array, features, atol=1e-5):
            fail(f"{doing} returned features that differ from {name}'s (keep the values as stored)")
        if item.get("label_value") != float(label):
            fail(f"{doing} returned the features of {name} with label {item.get('label_value'):g}, but {name}'s "
                 f"label is {label}: read the features and the label from the same file")
        if (split, found[1]) in used:
            fail(f"{doing} returned {name}, as dataset[{used[(split, found[1])]}] did too: each index should "
                 "give another file")
        used[(split, found[1])] = position
    _judge_items(data_run, check)


def _loaders(data_run):
    response, result, _ = data_run
    seen = response.get("loaders")
    if seen is None:
        fail(f"get_data_loaders was not reached: {result.describe()}")
    if seen.get("failure"):
        fail(describe_failure(seen["failure"], doing=f"get_data_loaders(root, {BATCH_SIZE})"))
    if seen.get("returned_type") == "NoneType":
        fail(f"get_data_loaders(root, {BATCH_SIZE}) returned None: end it with "
             "return train_loader, val_loader, test_loader")
    if seen.get("count") != 3:
        fail(f"get_data_loaders returned a {seen.get('returned_type')} of {seen.get('count')} items, expected "
             "three loaders: (train_loader, val_loader, test_loader)")
    return seen["loaders"]


def _judge_loaders(data_run, check):
    loaders = _loaders(data_run)
    _, result, files = data_run
    scenarios = Scenarios("loaders")
    for index, split in enumerate(SPLITS):
        with scenarios.scenario(split):
            name = ("train_loader", "val_loader", "test_loader")[index]
            if index >= len(loaders):
                fail(f"{name} was not reached: {result.describe()}")
            loader = loaders[index]
            if loader.get("failure"):
                fail(describe_failure(loader["failure"], doing=f"iterating over {name}"))
            if len(loader.get("passes", [])) < 2:
                fail(f"iterating twice over {name} did not finish: {result.describe()}")
            check(loader, name, split, files)
    scenarios.verdict()


def _rows(batches, files):
    """The file of each row of one pass, in order."""
    rows = []
    for batch in batches:
        peaks = batch.get("row_peaks") or [None] * len(batch["row_means"])
        rows += [_which_file(mean, files, peak) for mean, peak in zip(batch["row_means"], peaks)]
    return rows


@pytest.mark.points(3)
@pytest.mark.handout("`get_data_loaders(root, batch_size)` returns the training, validation and testing loaders, in that order, each clip once per pass (the training loader may drop its last batch)")
@pytest.mark.number("0.5")
def test_loaders_read_their_split(data_run):
    """get_data_loaders(root, batch_size) returns the training, validation and testing loaders, in that order"""
    direct = data_run[0].get("direct", {})

    def check(loader, name, split, files):
        rows = _rows(loader["passes"][0], files)
        where = sorted({found[0] + "/" if found else "not a file of the folder" for found in rows})
        if any(found is None or found[0] != split for found in rows):
            fail(f"{name} gave clips from {', '.join(where)}; expected the clips of {split}/ only")
        count = len(files[split])
        positions = sorted(found[1] for found in rows)
        distinct = len(set(positions)) == len(positions)
        dropped_last = split == "training" and distinct and len(positions) > count - BATCH_SIZE
        # A DataLoader takes its length from len(dataset): a wrong len() is 0.1's to charge.
        reported = (direct.get(split) or {}).get("length")
        own_length = isinstance(reported, int) and 0 <= reported < count and distinct and len(positions) == reported
        if positions != list(range(count)) and not dropped_last and not own_length:
            fail(f"one pass over {name} gave {len(positions)} clips ({len(set(positions))} different); {split}/ "
                 f"holds {count}: each clip once per pass")
    _judge_loaders(data_run, check)


@pytest.mark.points(2)
@pytest.mark.handout("the loaders make batches of `batch_size` clips: x (B, T, 40), y (B,)")
@pytest.mark.number("0.6")
def test_loader_batches(data_run):
    """The loaders make batches of batch_size clips: x (B, T, 40) stacked items, y (B,)"""
    response = data_run[0]
    batch_size_passed = (response.get("loaders") or {}).get("batch_size_passed", True)

    def check(loader, name, split, files):
        if not batch_size_passed:
            fail(f"get_data_loaders(root, {BATCH_SIZE}) raised TypeError, so it was called as "
                 "get_data_loaders(root): take batch_size as the handout's second argument")
        sizes = [batch["x_shape"][0] if batch["x_shape"] else None for batch in loader["passes"][0]]
        if not sizes or any(size != BATCH_SIZE for size in sizes[:-1]) or not sizes[-1] or sizes[-1] > BATCH_SIZE:
            fail(f"{name} gave batches of {sizes} clips with batch_size={BATCH_SIZE}; expected {BATCH_SIZE} per "
                 "batch (the last one may be smaller)")
        for batch in loader["passes"][0]:
            if len(batch["x_shape"]) != 3:
                fail(f"{name} gave x of shape {tuple(batch['x_shape'])}, expected (B, T, 40): let the "
                     "DataLoader stack the items (no reshaping in a collate function)")
            if not batch["y_shape"] or batch["y_shape"][0] != batch["x_shape"][0]:
                fail(f"{name} gave y of shape {tuple(batch['y_shape'])} for x of shape "
                     f"{tuple(batch['x_shape'])}: one label per clip")
    _judge_loaders(data_run, check)


@pytest.mark.points(4)
@pytest.mark.handout("only the training loader shuffles; the validation and testing loaders keep one order (share of the three loaders right)")
@pytest.mark.number("0.7")
def test_only_training_shuffles(data_run):
    """Only the training loader shuffles; the validation and testing loaders keep one order"""
    def check(loader, name, split, files):
        orders = [_rows(one, files) for one in loader["passes"]]
        if split == "training" and orders[0] == orders[1]:
            fail(f"{name} gave the clips in the same order on two passes: create it with shuffle=True, so that "
                 "every epoch sees the training clips in a new order")
        if split != "training" and orders[0] != orders[1]:
            fail(f"{name} gave the clips in a different order on its second pass: create it with shuffle=False, "
                 "so that the loss and accuracy on it are computed the same way every time")
    _judge_loaders(data_run, check)
