"""The student zip: ``dist/<id>-student.zip``.

Everything under one top folder ``<id>/``:

- the files of ``assignments/<id>/`` that the allow-list (``[release]`` in config.toml) names
  (generated skeletons, handout ``README.md``, public self-checks, helper modules); the
  build stops on a file the allow-list does not name, on a missing required file, on a
  skeleton that is out of date with its solution, and on any solution marker;
- ``requirements.txt``: the handout's own (its ``==`` pins must agree with
  ``requirements.lock``), or else one pinned from the lock;
- nothing of the data: that is ``music_speech_subset.zip`` beside it (``kit/release/student_data.py``).
"""

from __future__ import annotations

from pathlib import Path

from kit.grading.config import load_config
from kit.grading.markers import TABLE_BEGIN, with_grading_table
from kit.release.pins import TORCH_CPU_INDEX, lock_pins, normalise, parse_pins
from kit.release import contents
from kit.zipfiles import write_zip
from kit.paths import REPO



class ReleaseError(RuntimeError):
    """The release cannot be built as asked; the message says what to fix."""


def assignment_files(folder: Path) -> dict[str, Path]:
    """{POSIX path relative to ``folder``: path} of every file, by-products left out."""
    if not folder.is_dir():
        raise ReleaseError(f"{folder} does not exist")
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            if not contents.is_ignored(name):
                found[name] = path
    return found


def pinned_requirements(names: tuple[str, ...], lock: Path) -> str:
    """The lock file's ``name==version`` line of each package in ``names``."""
    pins = lock_pins(lock)
    lines = [
        "# Pinned from the course kit's requirements.lock. Install with:",
        "#   python -m pip install -r requirements.txt",
        "# torch: the CPU build is enough for this course and much smaller; on Linux use",
        f"#   python -m pip install torch --index-url {TORCH_CPU_INDEX}",
    ]
    for name in names:
        if normalise(name) not in pins:
            raise ReleaseError(f"{name} is not pinned in {lock}")
        lines.append(pins[normalise(name)])
    return "\n".join(lines) + "\n"


def check_pins_agree(text: str, lock: Path, name: str) -> None:
    locked = parse_pins(lock.read_text(encoding="utf-8"))
    for key, (line, version) in parse_pins(text).items():
        if key not in locked or locked[key][1] != version:
            found = locked[key][0] if key in locked else "no pin"
            raise ReleaseError(f"{name} pins {line} but requirements.lock has {found}")


def check_skeletons_fresh(assignment: str, repo: Path) -> None:
    from kit.release.skeletons import skeleton_targets

    targets = skeleton_targets(repo / "solutions", repo / "assignments")
    stale = [
        path.relative_to(repo).as_posix()
        for path, text in targets.items()
        if path.parent.name == assignment
        and (not path.is_file() or path.read_text(encoding="utf-8") != text)
    ]
    if stale:
        raise ReleaseError(f"skeletons out of date: {', '.join(stale)}; run `make skeletons`")


def manifest_path(dataset: str, repo: Path = REPO) -> Path:
    """The manifest file of ``dataset``, as the data layer names it (``kit.data.cache.DATASETS``)."""
    from kit.data import cache

    if dataset not in cache.DATASETS:
        raise ReleaseError(f"unknown dataset {dataset!r}: use one of {', '.join(cache.DATASETS)}")
    path = repo / cache.DATASETS[dataset].manifest.relative_to(cache.REPO)
    if not path.is_file():
        raise ReleaseError(f"no manifest for dataset {dataset!r}: {path} does not exist")
    return path


def handout_for(assignment: str, dataset: str, text: str) -> str:
    """The handout as students of a release on ``dataset`` read it: its grading table states that dataset's
    values (a threshold calibrated on a TA's GTZAN copy, not the embedded corpus's). ReleaseError when
    config.toml has none for it yet."""
    if TABLE_BEGIN not in text:
        return text
    try:
        return with_grading_table(text, load_config(assignment), f"assignments/{assignment}/README.md", dataset)
    except ValueError as error:
        raise ReleaseError(f"cannot state the grading rules for DATASET={dataset} in the handout: {error}. A "
                           f"threshold comes from `make calibrate ASSIGNMENT={assignment} DATASET={dataset} "
                           "DATA_DIR=... WRITE=1`; release after it") from None


def student_files(assignment: str, dataset: str, repo: Path = REPO) -> dict[str, bytes]:
    """{archive name: content} of the student zip; raises ReleaseError on any problem."""
    spec = contents.student_contents(assignment, repo)
    folder = repo / "assignments" / assignment
    found = assignment_files(folder)
    problems = []
    for name in spec.required:
        if name not in found:
            problems.append(f"required file missing: assignments/{assignment}/{name}")
    for name in found:
        if not spec.is_allowed(name):
            problems.append(
                f"not in the allow-list ([release] allowed in autograder/{assignment}/config.toml): "
                f"assignments/{assignment}/{name}"
            )
        if contents.is_forbidden(name):
            problems.append(f"forbidden name: assignments/{assignment}/{name}")
    files = {}
    for name, path in found.items():
        data = path.read_bytes()
        if name == "README.md":
            data = handout_for(assignment, dataset, data.decode("utf-8")).encode("utf-8")
        for marker in contents.FORBIDDEN_TEXT:
            if marker.encode() in data:
                problems.append(f"assignments/{assignment}/{name} contains {marker!r}")
        files[f"{assignment}/{name}"] = data
    if problems:
        raise ReleaseError("cannot build the student zip:\n  " + "\n  ".join(problems))
    check_skeletons_fresh(assignment, repo)
    requirements = f"{assignment}/requirements.txt"
    if requirements in files:  # the handout's own: its exact pins must agree with the lock
        check_pins_agree(files[requirements].decode(), repo / "requirements.lock", requirements)
    else:
        files[requirements] = pinned_requirements(spec.requirements, repo / "requirements.lock").encode()
    return files


def build_student_zip(assignment: str, dataset: str, out: Path, repo: Path = REPO) -> Path:
    return write_zip(out, student_files(assignment, dataset, repo))
