"""Public self-checks for the spoken intent classification exercise (ITALIC).

Run from this folder, with the data folder of italic_mini.zip:

    python self_check.py italic_mini

It finds your ``dataset_italic_<yourname>.py``, ``intent_cnn_<yourname>.py`` and
``training_intent_<yourname>.py`` next to this file and runs a few quick checks (well under a
minute on a laptop CPU). Passing them does not guarantee full marks: the graders try more
cases, model selection on scripted validation accuracies, your script, and the accuracy of your
model on held-out speakers.
"""

import importlib.util
import sys
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # keep the folder clean: no __pycache__ next to your files
HERE = Path(__file__).resolve().parent

try:
    import torch
    from torch.utils.data import DataLoader, Subset
except ImportError:  # pragma: no cover - depends on the student's set-up
    print("PyTorch is not installed: run  pip install -r requirements.txt")
    sys.exit(2)

SHAPES = {"waveform": (64000,), "log_mel": (251, 40)}
results = []


def load(prefix):
    found = sorted(p for p in HERE.glob(f"{prefix}*.py"))
    if len(found) != 1:
        raise SystemExit(f"expected exactly one {prefix}<yourname>.py here, found {len(found)}: "
                         + ", ".join(p.name for p in found))
    spec = importlib.util.spec_from_file_location(found[0].stem, found[0])
    module = importlib.util.module_from_spec(spec)
    sys.modules[found[0].stem] = module
    spec.loader.exec_module(module)
    return module


def check(name):
    def decorate(function):
        started = time.perf_counter()
        try:
            function()
            results.append((name, True, ""))
            print(f"ok    {name} ({time.perf_counter() - started:.1f} s)")
        except NotImplementedError as error:
            results.append((name, False, f"not implemented yet: {error}"))
            print(f"TODO  {name}: {error}")
        except Exception as error:  # noqa: BLE001 - report and go on
            results.append((name, False, str(error)))
            print(f"FAIL  {name}: {type(error).__name__}: {error}")
            traceback.print_exc(limit=-2, file=sys.stdout)
        return function
    return decorate


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "italic_mini")
    if not (data / "manifest.json").is_file():
        raise SystemExit(f"{data}/manifest.json not found: pass the data folder, e.g. python self_check.py italic_mini")
    dataset_module = load("dataset_italic_")
    model_module = load("intent_cnn_")
    training = load("training_intent_")
    kind = getattr(model_module, "INPUT_KIND", None)

    @check("part 1: count_fc_parameters on the chapter's exercise")
    def _():
        got = model_module.count_fc_parameters(44100, [1000, 1000, 1000])
        assert got == 46_103_000, f"count_fc_parameters(44100, [1000, 1000, 1000]) = {got}; torch counts 46103000"

    @check("part 1: conv_stack_output_length against torch")
    def _():
        layers = [{"type": "Conv1d", "kernel_size": 80, "stride": 4, "padding": 40},
                  {"type": "MaxPool1d", "kernel_size": 4}, {"type": "Conv1d", "kernel_size": 3, "dilation": 2}]
        stack = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 80, stride=4, padding=40), torch.nn.MaxPool1d(4),
                                    torch.nn.Conv1d(1, 1, 3, dilation=2))
        want = stack(torch.zeros(1, 1, 64000)).shape[-1]
        got = model_module.conv_stack_output_length(64000, layers)
        assert got == want, f"conv_stack_output_length(64000, {layers}) = {got}; torch gives {want}"

    names = []

    @check("part 2: intent_names and ITALICDataset on the validation split")
    def _():
        names.extend(dataset_module.intent_names(data))
        assert len(names) == 10, f"intent_names gave {len(names)} intents; the manifest has 10"
        assert kind in SHAPES, f"INPUT_KIND is {kind!r}; set it to 'waveform' or 'log_mel'"
        dataset = dataset_module.ITALICDataset(data, "val", input_kind=kind)
        assert len(dataset) == 90, f"len(ITALICDataset(data, 'val')) = {len(dataset)}; the split has 90 clips"
        x, y = dataset[0]
        assert isinstance(x, torch.Tensor) and x.dtype == torch.float32, "x must be a float32 tensor"
        assert tuple(x.shape) == SHAPES[kind], f"x has shape {tuple(x.shape)}; expected {SHAPES[kind]} for {kind}"
        assert int(y) in range(10), f"the intent id {y} is not in 0..9"

    @check("part 3: IntentCNN gives (B, n_intents) logits")
    def _():
        assert kind in SHAPES, f"INPUT_KIND is {kind!r}; set it to 'waveform' or 'log_mel'"
        for n, batch in ((10, 3), (10, 1), (60, 2)):
            model = model_module.IntentCNN(n_intents=n).eval()
            with torch.no_grad():
                out = model(torch.rand(batch, *SHAPES[kind]))
            assert tuple(out.shape) == (batch, n), f"IntentCNN(n_intents={n}) on a batch of {batch}: shape {tuple(out.shape)}"

    @check("part 4: train() for 2 epochs on 16 training clips")
    def _():
        train_loader, val_loader, _ = dataset_module.get_data_loaders(data, 8, kind)
        small_train = DataLoader(Subset(train_loader.dataset, range(16)), batch_size=8, shuffle=True)
        small_val = DataLoader(Subset(val_loader.dataset, range(12)), batch_size=8)
        history = training.train(model_module.IntentCNN(n_intents=10), small_train, small_val, max_epochs=2)
        for key in ("train_losses", "val_accuracies", "best_epoch"):
            assert key in history, f"train() returned no {key!r}"
        assert len(history["val_accuracies"]) == 2, "val_accuracies should hold one value per epoch"
        assert history["best_epoch"] in (1, 2), f"best_epoch {history['best_epoch']} is not 1 or 2"

    @check("part 5: accuracy, macro_f1 and confusion_matrix on a small example")
    def _():
        targets = torch.tensor([0, 1, 2, 2])
        predictions = torch.tensor([0, 2, 2, 2])
        logits = torch.nn.functional.one_hot(predictions, 3).float()
        assert abs(training.accuracy(logits, targets) - 0.75) < 1e-6, "accuracy should be 0.75"
        want = [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
        got = training.confusion_matrix(predictions, targets, 3)
        assert torch.as_tensor(got).tolist() == want, f"confusion_matrix gave {got}; expected {want}"
        f1 = training.macro_f1(predictions, targets, 3)
        assert abs(f1 - (1 + 0 + 0.8) / 3) < 1e-6, f"macro_f1 gave {f1}; expected {(1 + 0 + 0.8) / 3:.4f}"

    failed = [name for name, ok, _ in results if not ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed" + (": fix the ones above" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
