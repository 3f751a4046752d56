"""Generate ``data_manifests/gtzan_music_speech.json`` from the GTZAN music_speech file list.

The list (``data_manifests/sources/gtzan_music_speech.mf``, one ``path<TAB>label`` line per
clip, from a public Marsyas collection file) names all 128 clips. The split is stratified and
seeded: per class, the sorted names are shuffled with ``random.Random(seed)`` and cut
32/10/10/12 (train/val/test/holdout). Why these sizes: the 24 held-out clips (12 per class,
never given to students) are what the accuracy grader scores, one clip moving the accuracy by
about 4 %, the most we can hold back; students keep half of each class for training and 10 +
10 clips per class to validate and test on, as in the course's subsets.
Re-running the script with the same seed rewrites the same file.

    python -m kit.data.make_gtzan_manifest [--seed 0] [--check]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from kit.data.manifest import Manifest, load_manifest, parse_manifest, save_manifest
from kit.paths import REPO

MANIFEST_DIR = REPO / "data_manifests"
SOURCE = MANIFEST_DIR / "sources" / "gtzan_music_speech.mf"
OUTPUT = MANIFEST_DIR / "gtzan_music_speech.json"
LABELS = ["speech", "music"]  # class id 0 is speech, 1 is music (DEVELOPERS.md), as embedded.json
SPLIT_SIZES = {"train": 32, "val": 10, "test": 10, "holdout": 12}  # per class, out of 64 (see above)
SEED = 0

DATASET = {
    "id": "gtzan_music_speech",
    "title": "GTZAN Music/Speech collection",
    "source": "marsyas.info GTZAN music_speech (G. Tzanetakis)",
    "licence": (
        "Distributed by its authors (G. Tzanetakis, marsyas.info) for research and teaching. "
        "The audio is not included in the kit: each course obtains its own copy from the authors."
    ),
    "sample_rate": 22050,
    "labels": LABELS,
    "audio": {
        "container": "WAV",
        "sample_rate": 22050,
        "channels": 1,
        "bit_depth": 16,
        "nominal_duration": 30.0,
        "duration_tolerance": 0.5,
    },
    "archive": {
        "name": "music_speech.tar.gz",
        "size": 297055930,
        "sha256": "8753bc4129fc0a916d6efcf25dbcaf30e06b41acb44ad7c3d0b5c9d9c90ff546",
    },
}


def read_mf(path: Path = SOURCE) -> list[tuple[str, str]]:
    """The ``(path, label)`` pairs of a Marsyas ``.mf`` collection file."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            clip_path, label = line.split("\t")
        except ValueError:
            raise ValueError(f"{path}:{number}: expected 'path<TAB>label', found {line!r}") from None
        pairs.append((clip_path.strip(), label.strip()))
    return pairs


def build_manifest(source: Path = SOURCE, seed: int = SEED) -> Manifest:
    pairs = read_mf(source)
    rng = random.Random(seed)
    clips = []
    for label in LABELS:
        paths = sorted(p for p, lab in pairs if lab == label)
        wanted = sum(SPLIT_SIZES.values())
        if len(paths) != wanted:
            raise ValueError(f"{source}: {len(paths)} {label} clips, expected {wanted}")
        rng.shuffle(paths)
        start = 0
        for split, size in SPLIT_SIZES.items():
            for clip_path in paths[start : start + size]:
                clips.append({"path": clip_path, "label": label, "split": split, "duration": 30.0})
            start += size
    clips.sort(key=lambda clip: clip["path"])
    return parse_manifest({"schema_version": 1, "dataset": DATASET, "clips": clips}, str(source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="only check that the output is up to date")
    args = parser.parse_args(argv)
    manifest = build_manifest(seed=args.seed)
    if args.check:
        if not args.output.exists() or load_manifest(args.output) != manifest:
            print(f"{args.output} is out of date: run python -m kit.data.make_gtzan_manifest", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    save_manifest(manifest, args.output)
    print(f"wrote {args.output} ({len(manifest.clips)} clips)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
