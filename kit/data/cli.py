"""`python -m kit data`: verify a dataset against its manifest and cache its features.

    python -m kit data --dataset embedded|gtzan [--data-dir DIR] [--archive FILE] [--cache-dir build/cache]

Exits 1 with the full report (every missing, extra, unreadable or mismatched file, and what
to do) when the dataset does not match its manifest; prints where the features are otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kit.data.cache import DATASETS, DEFAULT_CACHE, DatasetError, prepare_dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="embedded",
                        help="embedded: the corpus in data_manifests/embedded/; gtzan: a TA's GTZAN music_speech copy")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the dataset folder (required for gtzan: music_speech/ or a pre-split copy)")
    parser.add_argument("--archive", type=Path, default=None,
                        help="also check music_speech.tar.gz against its published size and sha256")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="cache root (default: build/cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")


def run(args: argparse.Namespace) -> int:
    try:
        feature_set = prepare_dataset(
            args.dataset, args.data_dir, archive=args.archive, cache_root=args.cache_dir, progress=not args.quiet
        )
    except DatasetError as error:
        print(f"make data: FAILED\n{error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(feature_set.root)
    return 0
