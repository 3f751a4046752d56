"""Public self-checks for the music/speech CNN exercise.

Run from this folder:

    python self_check.py

It finds your ``dataset_class_<yourname>.py``, ``my_cnn_system_<yourname>.py`` and
``training_<yourname>.py`` next to this file and runs a few quick checks (well under a minute on a laptop CPU). Passing them does
not guarantee full marks: the graders test more settings, the early-stopping rule on
scripted validation losses, and the accuracy on a held-out split.
"""

import importlib.util
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # keep the folder clean: no __pycache__ next to your files
HERE = Path(__file__).resolve().parent

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - depends on the student's set-up
    print("PyTorch is not installed: run  pip install -r requirements.txt")
    sys.exit(2)


NOTES: list[str] = []  # printed under the current check's result


class CheckFailed(AssertionError):
    """A check's assertion, with a got/expected message."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


# --- finding and importing the student's files -------------------------------------------

def find_file(pattern: str, example: str) -> Path:
    found = sorted(p for p in HERE.glob(pattern) if p.is_file())
    if not found:
        raise CheckFailed(f"no file matching {pattern} in {HERE}; name yours like {example}")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise CheckFailed(
            f"found {len(found)} files matching {pattern} ({names}); keep exactly one "
            f"(rename or move the others away)"
        )
    return found[0]


def import_file(path: Path):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # so your files can import each other
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    start = time.perf_counter()
    spec.loader.exec_module(module)
    seconds = time.perf_counter() - start
    if seconds > 5:
        print(f"  note: importing {path.name} took {seconds:.0f} s; does it train or load data at import time?")
    return module


def attribute(module, name: str):
    expect(hasattr(module, name), f"{module.__name__}.py has no {name!r}")
    return getattr(module, name)


# --- the checks ----------------------------------------------------------------------------

def write_tiny_folder(root: Path) -> dict:
    """training/ (5 clips), validation/ (3), testing/ (2) of (20, 40) features; {split: [(features, label)]}."""
    import numpy as np

    rng = np.random.default_rng(0)
    clips = {}
    for split, count in (("training", 5), ("validation", 3), ("testing", 2)):
        (root / split).mkdir(parents=True)
        clips[split] = []
        for index in range(count):
            features = rng.normal(-5.0, 1.0, (20, 40)).astype(np.float32)
            label = np.int64(index % 2)
            np.savez(root / split / f"clip_{index}.npz", features=features, label=label)
            clips[split].append((features, int(label)))
    return clips


def dtype_name(value) -> str:
    return str(getattr(value, "dtype", "")).replace("torch.", "")


def check_dataset(datasets) -> None:
    import numpy as np

    dataset_class = attribute(datasets, "MyDataset")
    get_data_loaders = attribute(datasets, "get_data_loaders")
    with tempfile.TemporaryDirectory() as tmp:
        clips = write_tiny_folder(Path(tmp))
        for split, expected in clips.items():
            dataset = dataset_class(str(Path(tmp) / split))
            expect(len(dataset) == len(expected), f"len(MyDataset('{split}')): got {len(dataset)}, expected {len(expected)}")
            features, label = dataset[0]
            # What the DataLoader turns into float32 features and int64 labels (the graders accept the same).
            expect(isinstance(features, (torch.Tensor, np.ndarray)) and dtype_name(features) == "float32",
                   f"MyDataset('{split}')[0] features: got {type(features).__name__} "
                   f"{getattr(features, 'dtype', '')}, expected a float32 tensor")
            expect(tuple(features.shape) == (20, 40), f"MyDataset('{split}')[0] features: got shape "
                   f"{tuple(features.shape)}, expected (20, 40) as stored (T, 40)")
            integer = type(label) is int or (isinstance(label, (torch.Tensor, np.ndarray, np.integer))
                                             and dtype_name(label) == "int64" and np.ndim(label) == 0)
            expect(integer and int(label) in (0, 1),
                   f"MyDataset('{split}')[0] label: got {label!r}, expected an int64 tensor holding 0 or 1")
            pairs = {(round(float(f.mean()), 4), lab) for f, lab in expected}
            expect((round(float(features.mean()), 4), int(label)) in pairs,
                   f"MyDataset('{split}')[0] is not one file's features with that file's label")
        loaders = get_data_loaders(tmp, batch_size=2)
        expect(isinstance(loaders, (tuple, list)) and len(loaders) == 3,
               "get_data_loaders(root, batch_size=2) should return (train_loader, val_loader, test_loader)")
        for loader, (split, expected) in zip(loaders, clips.items()):
            x, y = next(iter(loader))
            expect(tuple(x.shape) == (2, 20, 40) and tuple(y.shape) == (2,),
                   f"the {split} loader's first batch: got x {tuple(x.shape)} and y {tuple(y.shape)}, "
                   "expected (2, 20, 40) and (2,)")
            count = sum(len(batch_y) for _, batch_y in loader)
            expect(count == len(expected), f"one pass over the {split} loader gave {count} clips, expected {len(expected)}")
        orders = [[round(float(v), 4) for x, _ in loaders[2] for v in x.mean(dim=(1, 2))] for _ in range(2)]
        expect(orders[0] == orders[1], "the testing loader changed its order between two passes: only the "
               "training loader shuffles")
        torch.manual_seed(0)
        passes = {tuple(round(float(v), 4) for x, _ in loaders[0] for v in x.mean(dim=(1, 2))) for _ in range(5)}
        expect(len(passes) > 1, "the training loader gave the same order on five passes: create it with shuffle=True")

def torch_output_size(size, kernel, stride=1, padding=0, dilation=1) -> int:
    """What PyTorch's Conv2d actually does to one dimension."""
    conv = nn.Conv2d(1, 1, (kernel, 1), stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1))
    with torch.no_grad():
        return conv(torch.zeros(1, 1, size, 1)).shape[2]


def check_formula(models) -> None:
    conv_output_size = attribute(models, "conv_output_size")
    cases = [
        dict(size=108, kernel=5, padding=2),
        dict(size=10, kernel=3),
        dict(size=40, kernel=3, stride=2),
        dict(size=54, kernel=2, stride=2),
        dict(size=27, kernel=2, stride=2),
        dict(size=33, kernel=3, stride=2, padding=1, dilation=2),
    ]
    for case in cases:
        expected = torch_output_size(**case)
        got = conv_output_size(**case)
        args = ", ".join(f"{k}={v}" for k, v in case.items())
        expect(isinstance(got, int) and not isinstance(got, bool),
               f"conv_output_size({args}) returned {type(got).__name__} {got!r}; expected an int")
        expect(got == expected, f"conv_output_size({args}): got {got}, expected {expected} (what nn.Conv2d gives)")


def check_forward_shape(models) -> None:
    model_class = attribute(models, "MyCNNSystem")
    torch.manual_seed(0)
    model = model_class()
    expect(isinstance(model, nn.Module), f"MyCNNSystem() is a {type(model).__name__}, expected an nn.Module")
    model.eval()
    for shape in [(4, 108, 40), (4, 1, 108, 40)]:
        with torch.no_grad():
            out = model(torch.rand(*shape))
        expect(isinstance(out, torch.Tensor), f"forward on {shape} returned {type(out).__name__}, expected a tensor")
        expect(tuple(out.shape) == (4, 1), f"forward on input {shape}: got shape {tuple(out.shape)}, expected (4, 1)")
        expect(out.dtype == torch.float32, f"forward on input {shape}: got dtype {out.dtype}, expected torch.float32")
        expect(bool(torch.isfinite(out).all()), f"forward on input {shape} returned non-finite values")


def tiny_loaders(n_batches: int = 2, batch_size: int = 4, n_frames: int = 108):
    generator = torch.Generator().manual_seed(0)
    def batches():
        return [
            (torch.randn(batch_size, n_frames, 40, generator=generator),
             torch.randint(0, 2, (batch_size,), generator=generator))
            for _ in range(n_batches)
        ]
    return batches(), batches(), batches()


def model_or_stand_in(models) -> nn.Module:
    """Your MyCNNSystem(), or a tiny stand-in while it is not implemented yet."""
    model_class = attribute(models, "MyCNNSystem")
    torch.manual_seed(0)
    try:
        return model_class()
    except NotImplementedError:
        NOTES.append("(MyCNNSystem is not implemented yet: checked with a small stand-in model)")
        return nn.Sequential(nn.Flatten(), nn.Linear(108 * 40, 1))


def check_train(models, training) -> None:
    train = attribute(training, "train")
    model = model_or_stand_in(models)
    train_loader, val_loader, _ = tiny_loaders()
    history = train(model, train_loader, val_loader, max_epochs=3, patience=2, min_delta=0.0, lr=1e-3, device="cpu")
    expect(isinstance(history, dict), f"train() returned {type(history).__name__}, expected a dict")
    keys = {"train_losses", "val_losses", "stop_epoch", "best_epoch"}
    expect(set(history) >= keys, f"train() returned keys {sorted(history)}, expected at least {sorted(keys)}")
    stop = history["stop_epoch"]
    expect(isinstance(stop, int) and 1 <= stop <= 3, f"stop_epoch: got {stop!r}, expected an int in 1..3 (max_epochs=3)")
    for key in ("train_losses", "val_losses"):
        losses = history[key]
        expect(isinstance(losses, list) and len(losses) == stop,
               f"{key}: got {type(losses).__name__} of length {len(losses) if hasattr(losses, '__len__') else '?'}, "
               f"expected a list with one value per epoch run ({stop})")
        expect(all(isinstance(v, float) for v in losses), f"{key}: expected Python floats, got {losses!r}")
    best = history["best_epoch"]
    expect(isinstance(best, int) and 1 <= best <= stop, f"best_epoch: got {best!r}, expected an int in 1..{stop}")
    val_losses = history["val_losses"]
    expect(min(val_losses) == val_losses[best - 1] or not all(map(math.isfinite, val_losses)),
           f"best_epoch {best} does not have the lowest validation loss in {val_losses}")


def check_test(models, training) -> None:
    test = attribute(training, "test")
    model = model_or_stand_in(models)
    _, _, test_loader = tiny_loaders()
    accuracy = test(model, test_loader)
    expect(isinstance(accuracy, float), f"test() returned {type(accuracy).__name__} {accuracy!r}, expected a float")
    expect(0.0 <= accuracy <= 1.0, f"test() returned {accuracy}, expected an accuracy in [0, 1]")


# --- running -------------------------------------------------------------------------------

def run_check(name: str, function, *args) -> bool:
    NOTES.clear()
    try:
        return _run_check(name, function, *args)
    finally:
        for note in NOTES:
            print(f"      {note}")


def _run_check(name: str, function, *args) -> bool:
    start = time.perf_counter()
    try:
        function(*args)
    except CheckFailed as failure:
        print(f"FAIL  {name}\n      {failure}")
        return False
    except NotImplementedError as error:
        print(f"FAIL  {name}\n      {error or 'NotImplementedError'}")
        return False
    except Exception as error:  # show the student's own traceback, shortened
        print(f"FAIL  {name}\n      {type(error).__name__}: {error}")
        frames = traceback.extract_tb(error.__traceback__)
        yours = [
            f for f in frames
            if Path(f.filename).resolve().parent == HERE and Path(f.filename).name != Path(__file__).name
        ]
        for frame in (yours or frames)[-3:]:
            print(f"        {Path(frame.filename).name}:{frame.lineno} in {frame.name}: {frame.line}")
        return False
    print(f"PASS  {name}  ({time.perf_counter() - start:.1f} s)")
    return True


def main() -> int:
    print(f"self-checks in {HERE}")
    try:
        dataset_path = find_file("dataset_class_*.py", "dataset_class_maria.py")
        model_path = find_file("my_cnn_system_*.py", "my_cnn_system_maria.py")
        training_path = find_file("training_*.py", "training_maria.py")
    except CheckFailed as failure:
        print(f"ERROR {failure}")
        return 1
    paths = (dataset_path, model_path, training_path)
    print(f"using {', '.join(p.name for p in paths)}")
    if any(p.stem.endswith("_student") for p in paths):
        print("  note: rename the files to your own name before you submit them")

    modules = {}
    for path in paths:
        try:
            modules[path] = import_file(path)
        except SystemExit as stop:
            print(f"ERROR importing {path.name} called exit({stop.code}); nothing may run at import time "
                  f"(put your script under  if __name__ == \"__main__\":)")
            return 1
        except Exception as error:
            print(f"ERROR cannot import {path.name}: {type(error).__name__}: {error}")
            if isinstance(error, SyntaxError):
                print(f"        line {error.lineno}: {(error.text or '').rstrip()}")
            else:
                print("      importing must not load data or train: put that code in main(), which runs only "
                      "under  if __name__ == \"__main__\":")
            return 1
    datasets, models, training = modules[dataset_path], modules[model_path], modules[training_path]

    checks = [
        ("MyDataset and get_data_loaders on a tiny feature folder", check_dataset, datasets),
        ("conv_output_size matches nn.Conv2d", check_formula, models),
        ("MyCNNSystem() forward gives (B, 1) logits", check_forward_shape, models),
        ("train() on a tiny random dataset returns the history dict", check_train, models, training),
        ("test() returns an accuracy in [0, 1]", check_test, models, training),
    ]
    results = [run_check(name, function, *args) for name, function, *args in checks]
    passed = sum(results)
    print(f"\n{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
