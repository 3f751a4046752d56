"""`python -m kit skeletons`: generate the student skeletons from the reference solutions, and the
handouts' grading tables from the graders' markers (``--check``: exit 1 when either drifted).

Every ``solutions/<assignment>/*.py`` that contains ``# BEGIN SOLUTION`` / ``# END SOLUTION``
marker lines is copied to ``assignments/<assignment>/<same name>`` with each marked region
replaced by one ``raise NotImplementedError("not implemented: ...")`` line, indented like the
``BEGIN`` marker. The text after ``BEGIN SOLUTION:`` becomes the message::

    def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
        # BEGIN SOLUTION: compute the output size with the formula from the handout
        return ...
        # END SOLUTION

becomes ``raise NotImplementedError("not implemented: compute the output size ...")``. A
region anywhere in a body (e.g. the layers after ``super().__init__()``) is replaced the same
way, so an untouched skeleton imports cleanly and every graded call fails loudly.
Files without markers are not copied. ``--check`` writes nothing and exits 1 when a skeleton
is missing or out of date.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kit.paths import REPO
from kit.grading.config import assignments as known_assignments, load_config
from kit.grading.markers import TABLE_BEGIN, with_grading_table
from kit.solution_markers import BEGIN, MarkerError, find_regions, make_skeleton  # noqa: F401 (MarkerError: for callers)

def skeleton_targets(solutions: Path, assignments: Path) -> dict[Path, str]:
    """{assignment file: generated text} for every marked file of ``solutions/*/``, and each handout's
    grading table (``assignments/<id>/README.md``, kit/grading/markers.py)."""
    targets: dict[Path, str] = {}
    for source in sorted(solutions.glob("*/*.py")):
        text = source.read_text(encoding="utf-8")
        if not find_regions(text, str(source)):
            continue
        target = assignments / source.parent.name / source.name
        targets[target] = make_skeleton(text, str(source))
    # The handout's grading table comes from the graders' markers (number, handout, points).
    for assignment in known_assignments():
        handout = assignments / assignment / "README.md"
        if handout.is_file() and TABLE_BEGIN in (text := handout.read_text(encoding="utf-8")):
            targets[handout] = with_grading_table(text, load_config(assignment), str(handout))
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a skeleton is out of date")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions", help="default: %(default)s")
    parser.add_argument("--assignments", type=Path, default=REPO / "assignments", help="default: %(default)s")


def run(args: argparse.Namespace) -> int:
    try:
        targets = skeleton_targets(args.solutions, args.assignments)
    except MarkerError as error:
        print(f"error: {error}")
        return 1
    if not targets:
        print(f"error: no file with {BEGIN} markers under {args.solutions}")
        return 1
    stale = [
        path for path, text in targets.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {_show(path)}")
        if stale:
            print("run `make skeletons` to regenerate them")
            return 1
        print(f"{len(targets)} skeleton(s) up to date")
        return 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps the solution's line endings as they are
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(targets[path])
        print(f"wrote {_show(path)}")
    print(f"{len(targets)} skeleton(s), {len(stale)} rewritten")
    return 0


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)
