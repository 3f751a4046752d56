"""`python -m kit data`: verify a dataset against its manifest and cache its features.

    python -m kit data --dataset embedded|gtzan|italic_<config>|... [--data-dir DIR] [--archive FILE]
                       [--assignment ID] [--cache-dir build/cache]

With ``--assignment`` the dataset is that assignment's (``embedded`` is ex03's ``italic_mini``)
and every input its graders read (``[features.<name>]`` of its config.toml) is cached; without
it, the course's log-mel at the manifest's nominal duration. Exits 1 with the full report
(every missing, extra, unreadable or mismatched file, and what to do) when the dataset does
not match its manifest; prints where the features are otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kit.data.cache import DATASETS, DEFAULT_CACHE, DatasetError, prepare_dataset, resolve_dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="embedded", type=resolve_dataset,
                        help="embedded: the kit's own corpus; gtzan: a TA's GTZAN music_speech copy; "
                             "<importer>_<config>: a copy read by data_manifests/importers/<importer>.py "
                             "(the importer's name alone: its first configuration)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the dataset folder (required for a TA's copy: music_speech/, the ITALIC release...)")
    parser.add_argument("--archive", type=Path, default=None,
                        help="also check music_speech.tar.gz against its published size and sha256")
    parser.add_argument("--assignment", default=None, metavar="ID",
                        help="cache the inputs this assignment's graders read (autograder/<id>/config.toml)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="cache root (default: build/cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")


def run(args: argparse.Namespace) -> int:
    dataset, inputs = args.dataset, {"": None}
    if args.assignment:
        from kit.grading.config import load_config

        config = load_config(args.assignment)
        dataset = config.data_source(args.dataset)
        inputs = dict(config.features) or inputs
    try:
        for name, params in inputs.items():
            feature_set = prepare_dataset(dataset, args.data_dir, archive=args.archive, cache_root=args.cache_dir,
                                          progress=not args.quiet, params=params)
            if not args.quiet:
                print(f"{name}: {feature_set.root}" if name else feature_set.root)
    except DatasetError as error:
        print(f"make data: FAILED\n{error}", file=sys.stderr)
        return 1
    return 0
