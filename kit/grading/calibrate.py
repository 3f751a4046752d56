"""`make calibrate`: the held-out accuracy threshold a TA can trust on their own data.

Trains the reference solution ``SEEDS`` times (seeds 1..5) exactly as the accuracy grader trains
a student's model, on the dataset the TA grades on, prints each held-out accuracy and proposes
the lowest minus ``--margin`` as the threshold; ``--write`` (``WRITE=1``) puts it into
``autograder/<id>/config.toml`` (``[settings.accuracy] threshold``, for that dataset only).

An assignment takes part through a module ``heldout_accuracy.py`` in its grader folder with
``reference_accuracy(grading, seed) -> (accuracy, clips)``, the function its accuracy grader
measures with; the kit knows nothing else about the task.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from kit.grading.cli import data_view
from kit.grading.config import REPO, AssignmentConfig, load_config
from kit.grading.pytest_plugin import GradingContext
from kit.grading.config import add_assignment_argument, dataset_name

SEEDS = (1, 2, 3, 4, 5)
MARGIN = 0.05
HOOK = "heldout_accuracy.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument("--dataset", default="embedded", type=dataset_name)
    parser.add_argument("--data-dir", type=Path, help="the TA's copy of the dataset")
    parser.add_argument("--margin", type=float, default=MARGIN, help="threshold = lowest accuracy - margin")
    parser.add_argument("--write", action="store_true", help="write the threshold into config.toml")


def reference_accuracy_hook(config: AssignmentConfig):
    path = config.folder / HOOK
    if not path.is_file():
        raise SystemExit(f"{config.id} has no held-out accuracy to calibrate ({path} does not exist)")
    sys.path.insert(0, str(config.folder))  # the hook imports its grader folder's modules, as the graders do
    spec = importlib.util.spec_from_file_location(f"_{config.id}_heldout_accuracy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_accuracy


def with_threshold(text: str, dataset: str, value: float) -> str:
    """config.toml's text with ``threshold = { ..., <dataset> = value, ... }`` set (added if absent),
    everything else as it was."""
    line = re.search(r"^threshold\s*=\s*\{(?P<body>[^}\n]*)\}", text, re.MULTILINE)
    if line is None:
        raise SystemExit("config.toml has no 'threshold = { <dataset> = ... }' line under [settings.accuracy]")
    entries = [entry.strip() for entry in line["body"].split(",") if entry.strip()]
    entry = f"{dataset} = {value:.2f}"
    found = [i for i, e in enumerate(entries) if e.split("=")[0].strip() == dataset]
    if found:
        entries[found[0]] = entry
    else:
        entries.append(entry)
    return text[:line.start()] + "threshold = { " + ", ".join(entries) + " }" + text[line.end():]


def below_chance(proposed: float, accuracies: list[float], n_classes: int, margin: float) -> str | None:
    """Why a proposed threshold must not be used, or None: unless it beats chance (1 / n_classes) by
    the margin, the held-out check would pass a model that guesses, so it could hardly fail."""
    chance = 1 / n_classes
    if proposed >= chance + margin:
        return None
    return (f"the proposed threshold {proposed:.2f} is not at least chance + {margin:g} (chance 1/{n_classes} = "
            f"{chance:.3f}): the reference hardly learns this copy (lowest accuracy {min(accuracies):.3f}), and a "
            "held-out check at that threshold would pass a model that guesses. Check the copy (do the labels match "
            "the audio? is the audio speech?) and the training settings ([settings.accuracy] in config.toml) "
            "before grading on it; nothing written")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.assignment)
    measure = reference_accuracy_hook(config)
    view = data_view(config, args.dataset, args.data_dir)
    reference = config.reference_folder
    grading = GradingContext(config=config, submission=reference, features=view, dataset=args.dataset)
    accuracies = []
    try:
        for seed in SEEDS:
            accuracy, clips = measure(grading, seed)
            accuracies.append(accuracy)
            print(f"seed {seed}: reference accuracy {accuracy:.3f} on {clips} held-out clips", flush=True)
    finally:
        grading.close()
    proposed = round(min(accuracies) - args.margin, 2)
    current = config.settings.get("accuracy", {}).get("threshold", {}).get(args.dataset)
    print(f"lowest {min(accuracies):.3f}, median {sorted(accuracies)[len(accuracies) // 2]:.3f}: proposed threshold "
          f"{proposed:.2f} (lowest - {args.margin:g}); config.toml has {current}")
    path = config.folder / "config.toml"
    problem = below_chance(proposed, accuracies, len(config.class_names(args.dataset)), args.margin)
    if problem:
        print(f"error: {problem}")
        return 1
    if args.write:
        path.write_text(with_threshold(path.read_text(encoding="utf-8"), args.dataset, proposed), encoding="utf-8")
        print(f"written into {path.relative_to(REPO)}: threshold.{args.dataset} = {proposed:.2f}")
    else:
        print(f"not written (WRITE=1 writes it into {path.relative_to(REPO)})")
    return 0
