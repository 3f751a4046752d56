"""`make bench` (`python -m kit bench`): timings printed as ratios against baselines measured in the same run.

Each benchmark is a module ``kit/bench/<name>.py`` listed in ``BENCHMARKS`` with a function
``run(assignment) -> bool`` that prints its measurements and returns whether it met its targets
(``--assignment``, which `make bench` passes as ASSIGNMENT: the assignment whose examples, class
and release are timed; the grading overhead is measured for every assignment that has a baseline). Adding
one is a one-line change to ``BENCHMARKS``; a listed module that does not exist yet is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import time

from kit.grading.config import add_assignment_argument

BENCHMARKS: tuple[str, ...] = ("data", "grading", "release", "classroom")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument("--only", metavar="NAME", action="append", choices=BENCHMARKS,
                        help="run only this benchmark (repeatable)")


def run(args: argparse.Namespace) -> int:
    selected = [name for name in BENCHMARKS if not args.only or name in args.only]
    failed = []
    for name in selected:
        module_name = f"{__name__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            print(f"== {name}: skipped ({module_name} does not exist yet)")
            continue
        print(f"== {name}")
        started = time.perf_counter()
        ok = module.run(args.assignment)
        print(f"== {name}: {'PASS' if ok else 'FAIL'} ({time.perf_counter() - started:.1f} s)\n")
        if not ok:
            failed.append(name)
    if failed:
        print(f"benchmarks that missed their targets: {', '.join(failed)}")
    return 1 if failed else 0
