"""`python -m kit <verb>`: one sub-command per user verb, each in its own package.

Each verb module exposes ``add_arguments(parser)`` and ``run(args) -> int``; they are
imported lazily so that `kit data` does not pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

VERBS = {
    "data": ("kit.data.cli", "verify a dataset against its manifest and cache its features"),
    "grade": ("kit.grading.cli", "grade submissions in the sandbox and write results"),
    "validate": ("kit.validate.cli", "grade single-change variants of the reference and report grader validity"),
    "skeletons": ("kit.release.skeletons", "regenerate assignments/ from the solutions"),
    "release": ("kit.release.cli", "build the student zip and the otter autograder zip"),
    "bench": ("kit.bench", "run the benchmarks and print ratios"),
    "calibrate": ("kit.grading.calibrate", "train the reference on 5 seeds and propose the held-out accuracy threshold"),
    "class": ("kit.validate.classroom", "write a Moodle download and worksheet of a whole class, to try the kit at scale"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    parsers = {}
    for verb, (_, help_text) in VERBS.items():
        parsers[verb] = sub.add_parser(verb, help=help_text, description=help_text)
    verb = next((a for a in argv if not a.startswith("-")), None)
    module = None
    if verb in VERBS:
        module = importlib.import_module(VERBS[verb][0])
        module.add_arguments(parsers[verb])
    args = parser.parse_args(argv)
    return int(module.run(args) or 0)
