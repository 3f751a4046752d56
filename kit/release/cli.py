"""`python -m kit release`: build ``dist/<id>-student.zip``, ``dist/<id>-data/music_speech_subset.zip``
(the students' data, ``kit/release/student_data.py``) and ``dist/<id>-autograder.zip``.

Both zips are deterministic (sorted entries, fixed timestamps and permissions): building
twice from the same tree gives the same bytes, and the printed sha256 says so. The build
stops with exit code 1 and a message naming the file when anything is missing or not
allowed; it never writes a partial zip (each is written to ``.part`` and renamed).
See kit/release/README.md for uploading to Gradescope.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kit.release.student import REPO, ReleaseError
from kit.grading.config import add_assignment_argument, dataset_name, load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument(
        "--dataset",
        default="embedded",
        type=dataset_name,
        help="dataset whose manifest ships to students and whose features ship in the "
        "autograder (default: %(default)s)",
    )
    parser.add_argument("--data-dir", type=Path, help="the TA's copy of the dataset (DATASET=gtzan)")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (default: dist/)")
    parser.add_argument(
        "--only", choices=("student", "data", "autograder"), help="build just one of the zips"
    )


def build(
    assignment: str, dataset: str, out: Path, only: str | None = None, data_dir: Path | None = None
) -> dict[str, Path]:
    """Build the release zips; returns {"student": path, "data": path, "autograder": path}."""
    from kit.release.autograder import build_autograder_zip
    from kit.release.student import build_student_zip
    from kit.release.student_data import build_student_data_zip, data_zip_name

    built = {}
    if only in (None, "student"):
        built["student"] = build_student_zip(assignment, dataset, out / f"{assignment}-student.zip")
    if only in (None, "data"):
        data = build_student_data_zip(assignment, dataset, out / f"{assignment}-data" / data_zip_name(assignment), data_dir=data_dir)
        if data is not None:
            built["data"] = data
    if only in (None, "autograder"):
        built["autograder"] = build_autograder_zip(
            assignment, dataset, out / f"{assignment}-autograder.zip", data_dir=data_dir
        )
    return built


def run(args: argparse.Namespace) -> int:
    from kit.zipfiles import listing, sha256_of

    try:
        built = build(args.assignment, args.dataset, args.out, args.only, args.data_dir)
    except (ReleaseError, KeyError, FileNotFoundError) as error:
        print(f"error: {error}")
        return 1
    for kind, path in built.items():
        entries = listing(path)
        size = path.stat().st_size
        print(f"{kind:10} {path}  {len(entries)} entries, {size / 1e6:.1f} MB, sha256 {sha256_of(path)}")
    if "student" in built:
        print("for students, upload the student zip" + (" and the data zip" if "data" in built else "")
              + " to the course page (README.md, 'Releasing an assignment')")
    if "autograder" in built:
        memory = load_config(args.assignment).release.gradescope_memory_mb
        print(f"upload the autograder zip to Gradescope as described in kit/release/README.md, with at least "
              f"{memory / 1024:g} GB of memory for the autograder")
    return 0
