"""2. The data: intent_names, ITALICDataset(root, split, input_kind) and get_data_loaders on a grader-made folder.

The folder's manifest lists 4 intents in an unsorted order and 15 clips (0.7 to 5.6 s) not grouped
by split or intent. Items are matched to clips by their content, so that each rule is judged on
its own: the order of items (2.2), their intents (2.3) and their inputs (2.4).
"""

import numpy as np
import pytest
from conftest import CLIPS, INTENTS, LOADER_BATCH, MANIFEST_SPLITS, SHAPES, expected_input

from kit.grader import Scenarios, fail, note, require

PER_SPLIT = {split: [clip for clip in CLIPS if clip.split == split] for split in MANIFEST_SPLITS}


@pytest.fixture(scope="module")
def data(dataset_probe):
    return require(dataset_probe, "building ITALICDataset and get_data_loaders on a small data folder", partial=True), dataset_probe.arrays


@pytest.fixture(scope="module")
def expected(data, data_folder):
    """(kind, expected input of every clip of the folder, in CLIPS order)."""
    response, _ = data
    kind = response.get("kind", "log_mel")
    return kind, [expected_input(data_folder, clip, kind) for clip in CLIPS]


def _distance(got, want):
    if got.shape != want.shape:
        return np.inf
    return float(np.max(np.abs(got - want)) / (np.max(np.abs(want)) + 1e-9))


def _items(data, split):
    response, arrays = data
    report = (response.get("splits") or {}).get(split)
    if report is None:
        fail(f"ITALICDataset(data, {split!r}) was not reached (the probe stopped before it)")
    if "error" in report:
        fail(f"ITALICDataset(data, {split!r}) raised {report['error']}")
    return report, arrays


def _match(x, wants):
    """Index of the clip whose expected input ``x`` is (closest to within 2 %), or None."""
    distances = [_distance(x, want) for want in wants]
    best = int(np.argmin(distances))
    return best if distances[best] < 0.02 else None


def _clip_of(item, index, split, arrays, wants):
    """(the clip an item holds, its expected input): the clip whose input it is, from any split (which
    clips a split holds is 2.2's to judge), else the split's clip at the same position."""
    matched = _match(np.asarray(arrays[item["x"]["array"]], dtype=np.float64), wants) \
        if item.get("x", {}).get("array") in arrays else None
    if matched is None:
        clips = PER_SPLIT[split]
        matched = CLIPS.index(clips[min(index, len(clips) - 1)])
    return CLIPS[matched], wants[matched]


@pytest.mark.points(2)
@pytest.mark.handout("`intent_names(root)`: the manifest's `dataset.labels`, in their order (not sorted): intent id i is the i-th")
@pytest.mark.number("2.1")
def test_intent_names_in_manifest_order(data):
    """intent_names gives the manifest's intents in their order"""
    response, _ = data
    if "intent_names_error" in response:
        fail(f"intent_names(data) raised {response['intent_names_error']}")
    got = response.get("intent_names")
    if got == sorted(INTENTS):
        fail(f"intent_names(data) returned the intents sorted ({got}); the manifest's order is {INTENTS}: "
             "intent ids are positions in dataset.labels, as the manifest gives them")
    if got != INTENTS:
        fail(f"intent_names(data) returned {got}; the manifest's dataset.labels are {INTENTS}")


@pytest.mark.points(2)
@pytest.mark.handout("`ITALICDataset(root, split)`: one item per manifest clip of `split` (\"train\", \"val\", \"test\"), in manifest order")
@pytest.mark.number("2.2")
def test_dataset_clips_of_the_split(data, expected, request):
    """ITALICDataset has the split's clips, in manifest order"""
    _, wants = expected
    scenarios = Scenarios("splits")
    unmatched = []
    for split, clips in PER_SPLIT.items():
        with scenarios.scenario(split):
            report, arrays = _items(data, split)
            if report.get("length") != len(clips):
                fail(f"len(ITALICDataset(data, {split!r})) is {report.get('length')}; the manifest has {len(clips)} "
                     f"clips of split {split!r}")
            split_wants = [wants[CLIPS.index(clip)] for clip in clips]
            order = [_match(arrays[item["x"]["array"]], split_wants) if item.get("x", {}).get("array") in arrays else None
                     for item in report.get("items", [])]
            if None in order:
                unmatched.append(split)
                continue
            if order != list(range(len(clips))):
                fail(f"ITALICDataset(data, {split!r}) gives its clips in the order {[clips[i].path for i in order]}; "
                     f"the manifest lists them as {[clip.path for clip in clips]} (keep the manifest's order)")
    scenarios.verdict()
    if unmatched:
        note(request, f"the order of the {', '.join(unmatched)} items was not judged: their inputs are not the "
                      "handout's (2.4 says how), so they could not be told apart")


@pytest.mark.points(3)
@pytest.mark.handout("each item is `(x, intent id)`: x a float32 tensor, the id an int64 scalar tensor (or an int), the index of the clip's intent in `intent_names(root)`")
@pytest.mark.number("2.3")
def test_items_are_input_and_intent_id(data, expected):
    """Items are (float32 tensor, int64 intent id of the clip)"""
    _, wants = expected
    # Ids that follow the student's own intent_names, when it lists the same intents in another
    # order, are consistent: that order is 2.1's to charge, once.
    own = data[0].get("intent_names")
    names = own if isinstance(own, list) and sorted(own) == sorted(INTENTS) else INTENTS
    scenarios = Scenarios("items")
    for split, clips in PER_SPLIT.items():
        report, arrays = _items(data, split)
        for index, item in enumerate(report.get("items", [])):
            with scenarios.scenario(f"{split}[{index}]"):
                if "error" in item:
                    fail(f"ITALICDataset(data, {split!r})[{index}]: {item['error']}")
                x, y = item["x"], item["y"]
                if x.get("type") != "Tensor" or x.get("dtype") != "float32":
                    fail(f"ITALICDataset(data, {split!r})[{index}][0] is a {x.get('type')} of dtype {x.get('dtype')}; "
                         "expected a float32 torch tensor")
                python_int = y.get("type") == "int"  # the default collate makes int64 tensors of them
                if not python_int and (y.get("type") != "Tensor" or y.get("dtype") != "int64" or y.get("shape") != []):
                    fail(f"ITALICDataset(data, {split!r})[{index}][1] is a {y.get('type')} of dtype {y.get('dtype')} "
                         f"and shape {y.get('shape')}; expected an int64 scalar tensor (CrossEntropyLoss needs "
                         "integer class ids)")
                clip, _ = _clip_of(item, index, split, arrays, wants)
                want = INTENTS.index(clip.intent)
                if y.get("value") not in (want, names.index(clip.intent)):
                    fail(f"ITALICDataset(data, {split!r})[{index}] is clip {clip.path} ({clip.intent!r}) with intent id "
                         f"{y.get('value')}; its id is {want}, the position of {clip.intent!r} in the manifest's "
                         f"labels {INTENTS}")
    scenarios.verdict()


@pytest.mark.points(3)
@pytest.mark.handout("x is the clip cropped to its first 4 s or zero-padded at the end to 64,000 samples: the waveform itself (`INPUT_KIND = \"waveform\"`, shape (64000,)) or its log-mel (`\"log_mel\"`, (251, 40): librosa, n_fft 512, hop 256, 40 bands, log10(mel + 1e-10))")
@pytest.mark.number("2.4")
def test_inputs_fixed_length(data, expected):
    """Inputs: the clip cropped or padded to 4 s, as a waveform or log-mel"""
    kind, wants = expected
    shape = SHAPES[kind]
    scenarios = Scenarios("clips")
    for split, clips in PER_SPLIT.items():
        report, arrays = _items(data, split)
        for index, item in enumerate(report.get("items", [])):
            if item.get("x", {}).get("array") not in arrays:
                continue  # not a tensor: 2.3's to charge
            x = np.asarray(arrays[item["x"]["array"]], dtype=np.float64)
            clip, want = _clip_of(item, index, split, arrays, wants)
            with scenarios.scenario(f"{clip.path} ({clip.seconds} s)"):
                what = f"ITALICDataset(data, {split!r}) item of {clip.path}, a {clip.seconds} s clip"
                if tuple(x.shape) != shape:
                    if kind == "log_mel" and tuple(x.shape) == shape[::-1]:
                        fail(f"{what}: shape {tuple(x.shape)}; the log-mel is time x mel, {shape} (transpose it)")
                    fail(f"{what}: shape {tuple(x.shape)}; expected {shape} for INPUT_KIND {kind!r} (every clip "
                         "cropped or zero-padded to 64,000 samples, 4 s at 16 kHz)")
                if _distance(x, want) >= 0.02:
                    fail(f"{what}: {_diagnosis(x, want, kind, clip.seconds)}")
    scenarios.verdict()


def _diagnosis(x, want, kind, seconds):
    if kind == "waveform":
        n = int(round(min(seconds, 4.0) * 16000))
        if seconds < 4.0 and np.allclose(x[-n:], want[:n], atol=2e-3):
            return "the clip's samples are at the end: pad with zeros at the end, after the clip"
        if seconds > 4.0 and not np.allclose(x[:1000], want[:1000], atol=2e-3):
            return "these are not the clip's first 4 s: crop from the start"
        return "the samples are not the clip's (read with soundfile at 16 kHz, mono, no normalisation)"
    if np.allclose(x, 10 * want, atol=0.5):
        return "the values are 10 x log10(mel): decibels; the handout's log-mel is log10(mel + 1e-10)"
    if np.allclose(x, want * np.log(10), atol=0.05):
        return "the values are the natural log; the handout's log-mel is log10(mel + 1e-10)"
    return ("the log-mel is not the handout's (librosa.feature.melspectrogram with sr 16000, n_fft 512, "
            "hop_length 256, n_mels 40 on the cropped or padded clip, then log10(mel + 1e-10))")


@pytest.mark.points(3)
@pytest.mark.handout("`get_data_loaders(root, batch_size, input_kind)`: train, val and test loaders with `batch_size`; only the training loader shuffles; the validation and test loaders give every clip once per pass")
@pytest.mark.number("2.5")
def test_loaders(data, request):
    """Three loaders: only training shuffles, each clip once per pass"""
    response, arrays = data
    if "loaders_error" in response:
        shapes = {tuple(i.get("x", {}).get("shape") or ()) for r in (response.get("splits") or {}).values()
                  for i in r.get("items", [])}
        if len(shapes) > 1 and "stack" in response["loaders_error"]:
            note(request, "not judged: the items have different shapes, so no batch can be made of them (see 2.4)")
            return
        fail(f"get_data_loaders(data, {LOADER_BATCH}, input_kind) failed: {response['loaders_error']}")
    loaders = response.get("loaders")
    if loaders is None:
        fail("get_data_loaders was not reached (the probe stopped before it)")
    scenarios = Scenarios("loaders")
    for (split, clips), loader in zip(PER_SPLIT.items(), loaders):
        with scenarios.scenario(split):
            report = (response.get("splits") or {}).get(split, {})
            own = [float(np.asarray(arrays[i["x"]["array"]], dtype=np.float64).sum())
                   for i in report.get("items", []) if i.get("x", {}).get("array") in arrays]
            passes = [[s for batch in one for s in batch["sums"]] for one in loader["passes"]]
            sizes = [len(batch["sums"]) for batch in loader["passes"][0]]
            name = {"train": "training", "val": "validation", "test": "testing"}[split]
            length = report.get("length", len(clips))  # the dataset's own clips: which ones is 2.2's to judge
            # The training loader may drop its last, smaller batch (drop_last): fewer than a batch missing.
            short = LOADER_BATCH - 1 if split == "train" else 0
            if not length - short <= len(passes[0]) <= length:
                fail(f"a pass over the {name} loader gives {len(passes[0])} examples; its dataset has {length} "
                     "(every clip once per pass: no drop_last, no repeats)")
            if any(size > LOADER_BATCH for size in sizes):
                fail(f"the {name} loader gives batches of {sizes} with batch_size={LOADER_BATCH}")
            if len(own) == length and not _within(passes[0], own):
                fail(f"a pass over the {name} loader does not give each of the split's {len(clips)} clips once")
            shuffled = not np.allclose(passes[0], passes[1], rtol=1e-6)
            if split == "train" and not shuffled:
                fail("the training loader gives its clips in the same order in every epoch: shuffle=True")
            if split != "train" and shuffled:
                fail(f"the {name} loader shuffles: only the training loader shuffles (shuffle=False here, so that "
                     "its results are the same every time)")
    scenarios.verdict()


def _within(passed, own):
    """Whether the examples of a pass are the dataset's own, each at most once (by their sums)."""
    left = list(own)
    for value in passed:
        index = next((i for i, v in enumerate(left) if np.isclose(v, value, rtol=1e-5, atol=1e-3)), None)
        if index is None:
            return False
        left.pop(index)
    return True
