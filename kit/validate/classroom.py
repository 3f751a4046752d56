"""A whole class as an LMS hands it over, to try the kit at scale: ``make class N=300``.

Writes ``build/class/<assignment>-<N>/``:

- ``<course>-<assignment>-<N>.zip``: Moodle's "download all submissions" (a folder per student,
  ``<Full Name>_<id>_assignsubmission_file_``), each holding a zip of the student's files;
- ``Grades-<course>-<assignment>-<N>.csv``: Moodle's grading worksheet for the class, with two
  participants who submitted nothing;
- ``class.json``: what each student is (``kind``), what the kit should give them (``expect``:
  an example's golden total, ``full`` for a correct variant, ``less`` for a bug, ``at_most``
  the reference's total for hostile code), and whether the submission is ``working`` (the part
  of the class a throughput figure is about).

The class: the assignment's examples and its validate variants (a student each, mixed), 5 %
hostile code (a fork bomb, a flood of output, a memory hog, an endless import, attempts to read
the graders and to write outside the sandbox, each on top of the reference, and the examples
whose README starts "Hostile:"), and the odd
uploads every course gets: an empty zip, a corrupt zip, a zip bomb (a small zip that expands past
the intake's limit), 10,000 files, names that are not UTF-8 or are 250 characters long,
symlinks, the same file twice, and a student who submitted twice. Byte-identical for a seed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import stat
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from kit.files import atomic_write_bytes, atomic_write_text
from kit.grading.config import REPO, AssignmentConfig, load_config
from kit.grading.examples import example_sources
from kit.grading.intake import MAX_ZIP_BYTES, submission_id
from kit.validate.variants import apply_variant, load_variants, reference_folder
from kit.grading.config import add_assignment_argument

FIRST = ["Ada", "Bo", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ilja", "José", "Kaito", "Lena",
         "Mika", "Noor", "Olu", "Pia", "Quentin", "Rosa", "Søren", "Tariq", "Uma", "Vera", "Wen", "Xenia",
         "Yusuf", "Zoë"]
LAST = ["Berg", "Chen", "Dubois", "Esposito", "Fischer", "García", "Hansen", "Ivanova", "Jensen", "Kowalski",
        "Lindqvist", "Moreau", "Nowak", "Okafor", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Ueda",
        "Virtanen", "Weber", "Yilmaz", "Zhang"]

# Hostile code, put at the top of each of the reference's files: it may cost the student every
# point, and must never gain one, stop the batch or touch anything outside the sandbox.
HOSTILE = {
    "fork_bomb": "import os\nwhile True:\n    os.fork()\n",
    "output_flood": "import sys\nfor _ in range(200000):\n    sys.stdout.write('x' * 500 + '\\n')\n",
    "memory_hog": "_hog = bytearray(8 * 1024 ** 3)\n",
    "endless_import": "while True:\n    pass\n",
    "reads_graders": (
        "import glob, os\n_stolen = []\n"
        "for _pattern in ['/work/*/autograder/*/*.py', '/*/autograder/*/expected.json', '/work/*/build/cache/*/*',\n"
        "                 '../*/*.npz', '/proc/1/root/*', '/boxes/*/*']:\n"
        "    try:\n        _stolen += glob.glob(_pattern, recursive=True)[:5]\n    except OSError:\n        pass\n"
        "print('found', _stolen)\n"),
    "writes_outside": (
        "import os\nfor _path in ['/work/main/PWNED', os.path.expanduser('~/PWNED'), '../../PWNED', '/tmp/../PWNED',\n"
        "              '/etc/PWNED', '/dev/shm/../PWNED']:\n"
        "    try:\n        open(_path, 'w').write('x')\n    except OSError:\n        pass\n"),
}
# The odd uploads: (whether the student's own files are in it, what the feedback must say).
INTAKE_CASES = {
    "empty_zip": (False, "Problem: missing"),
    "corrupt_zip": (False, "contains a zip file that cannot be opened"),
    "zip_bomb": (False, "unpack to more than"),
    "ten_thousand_files": (True, "more than 2000 files"),
    "odd_names": (True, ""),
    "symlinks": (True, ""),
    "duplicate_files": (True, "Problem: duplicate"),
    "submitted_twice": (True, "graded the newest, lab_final.zip/"),
}


@dataclass
class Student:
    folder: str  # the download's folder name
    participant: str
    name: str
    kind: str  # example:<name> | variant:<id> | hostile:<name> | hostile:example:<name> | intake:<case>
    expect: str  # "total=<points>" | "full" | "less" | "at_most=<points>"
    working: bool  # graded on its merits: not hostile, not a broken upload
    message: str = ""  # what its feedback must say (the intake's message about the upload)


def build(config: AssignmentConfig, n: int, out: Path, seed: int = 0,
          hostile: list[str] | None = None) -> dict[str, Student]:
    """Write the class's download, worksheet and class.json into ``out``; returns the students by folder.
    ``hostile``: the kinds of hostile code to include (default: all of ``HOSTILE``)."""
    rng = random.Random(seed)
    reference = _files(reference_folder(config))
    examples = [(name, _files(source)) for name, source in example_sources(config)]
    variants = load_variants(config)
    goldens = {name: config.golden(name) for name, _ in examples}
    full = goldens["reference"]["total"]
    hostile_kinds = [name for name in HOSTILE if name in hostile] if hostile is not None else list(HOSTILE)
    hostile_count = max(len(hostile_kinds), round(0.05 * n)) if hostile_kinds else 0
    plan: list[tuple[str, str, dict[str, bytes] | None, bool]] = []  # kind, expect, files, working
    for case, (complete, _) in INTAKE_CASES.items():
        plan.append((f"intake:{case}", f"total={full}" if complete else "total=0.0", None, False))
    for index in range(hostile_count):
        name = hostile_kinds[index % len(hostile_kinds)]
        plan.append((f"hostile:{name}", f"at_most={full}", _with_prelude(reference, HOSTILE[name]), False))
    # An example whose README starts "Hostile:" is hostile code with a golden of its own.
    hostile_examples = {name for name, _ in examples if _readme(config, name).startswith("Hostile:")}
    for name, files in examples:
        if name in hostile_examples and hostile_kinds:
            plan.append((f"hostile:example:{name}", f"total={goldens[name]['total']}", files, False))
    pool: list[tuple[str, str, dict[str, bytes]]] = [
        (f"example:{name}", f"total={goldens[name]['total']}", files) for name, files in examples
        if name not in hostile_examples]
    with tempfile.TemporaryDirectory(prefix="kit-class-") as scratch:
        for variant in variants:
            files = _files(apply_variant(variant, reference_folder(config), Path(scratch) / variant.id))
            pool.append((f"variant:{variant.id}", "full" if variant.kind == "correct" else "less", files))
    rng.shuffle(pool)  # a class mixes examples and variants, whatever its size
    first_working = len(plan)
    while len(plan) < n:
        kind, expect, files = pool[(len(plan) - first_working) % len(pool)]
        plan.append((kind, expect, files, True))
        rng.shuffle(plan)

    archive = io.BytesIO()
    students: dict[str, Student] = {}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as download:
        for index, (kind, expect, files, working) in enumerate(plan):
            participant = str(1000 + index)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            folder = f"{name}_{participant}_assignsubmission_file_"
            message = INTAKE_CASES[kind.split(":")[1]][1] if kind.startswith("intake:") else ""
            student = Student(folder, participant, name, kind, expect, working, message)
            students[folder] = student
            if kind.startswith("intake:"):
                _intake_case(download, folder, kind.split(":")[1], reference, rng)
            else:
                _write(download, f"{folder}/lab_submission.zip", _zip(files))
    stem = f"CS101-{config.id}-{n}"
    atomic_write_bytes(out / f"{stem}.zip", archive.getvalue())
    atomic_write_text(out / f"Grades-{stem}.csv", _worksheet(students, config.max_grade))
    atomic_write_text(out / "class.json", json.dumps({f: asdict(s) for f, s in students.items()}, indent=1,
                                                     ensure_ascii=False))
    return students


def _readme(config: AssignmentConfig, example: str) -> str:
    path = config.examples_folder / example / "README.md"
    return path.read_text(encoding="utf-8").lstrip() if path.is_file() else ""


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(Path(folder).glob("*.py"))}


def _with_prelude(files: dict[str, bytes], prelude: str) -> dict[str, bytes]:
    return {name: prelude.encode() + b"\n" + content for name, content in files.items()}


def _zip(files: dict[str, bytes], date: tuple = (2026, 11, 20, 9, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date), content)
    return buffer.getvalue()


def _write(download: zipfile.ZipFile, name: str, content: bytes, *, symlink: bool = False) -> None:
    info = zipfile.ZipInfo(name, (2026, 11, 20, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    if symlink:
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    download.writestr(info, content)


def _intake_case(download: zipfile.ZipFile, folder: str, case: str, reference: dict[str, bytes],
                 rng: random.Random) -> None:
    """One of the odd uploads: each must end with a row in the grade sheet and a clear message."""
    files = reference
    if case == "empty_zip":
        _write(download, f"{folder}/submission.zip", _zip({}))
    elif case == "corrupt_zip":
        _write(download, f"{folder}/submission.zip", _zip(files)[:200] + bytes(rng.randrange(256) for _ in range(300)))
    elif case == "zip_bomb":  # 1 KB deflated per MB of zeros: a small zip far past the intake's limit
        bomb = {f"data_{i}.py": b"\0" * (MAX_ZIP_BYTES // 4) for i in range(8)}
        _write(download, f"{folder}/submission.zip", _zip(bomb))
    elif case == "ten_thousand_files":
        many = {f"junk/file_{i:05d}.py": b"# junk\n" for i in range(10_000)}
        _write(download, f"{folder}/submission.zip", _zip({**many, **files}))
    elif case == "odd_names":
        odd = {("x" * 240) + ".py": b"# a long name\n"}
        _write(download, f"{folder}/submission.zip", _zip({**odd, **files}))
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w") as archive:  # a Latin-1 name without the zip's UTF-8 flag
            info = zipfile.ZipInfo("notes_\udce9t\udce9.py".encode("utf-8", "surrogateescape").decode("cp437"))
            archive.writestr(info, b"# notes\n")
        _write(download, f"{folder}/notes.zip", raw.getvalue())
    elif case == "symlinks":
        for name, content in files.items():
            _write(download, f"{folder}/{name}", content)
        _write(download, f"{folder}/secret_link.py", b"/etc/shadow", symlink=True)
        _write(download, f"{folder}/parent_link", b"../../../..", symlink=True)
    elif case == "duplicate_files":
        for name, content in files.items():
            _write(download, f"{folder}/{name}", content)
            _write(download, f"{folder}/copy/{name}", content)
    elif case == "submitted_twice":
        first = {name: content.replace(b"float32", b"float64") for name, content in files.items()}
        _write(download, f"{folder}/lab_v1.zip", _zip(first, date=(2026, 11, 19, 9, 0, 0)))
        _write(download, f"{folder}/lab_final.zip", _zip(files, date=(2026, 11, 20, 9, 0, 0)))


def _worksheet(students: dict[str, Student], max_grade: float) -> str:
    lines = ['Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
             '"Last modified (submission)","Last modified (grade)","Feedback comments"']
    rows = [(s.participant, s.name, "Submitted for grading") for s in students.values()]
    rows += [("9001", "Ann Lee", "No submission"), ("9002", "Ravi Kumar", "No submission")]
    for participant, name, status in sorted(rows, key=lambda row: int(row[0])):
        email = name.lower().replace(" ", ".") + "@example.org"
        lines.append(f'"Participant {participant}","{name}",{email},"{status}",,{max_grade:.2f},Yes,-,-,')
    return "\n".join(lines) + "\n"


def check(grades: Path, students: dict[str, Student], full: float) -> list[str]:
    """What a graded class got wrong, one line per student (empty: every student got a row, their
    example's golden total, full marks for a correct variant, less for a bug, never more than the
    reference for hostile code, and the intake's message about an odd upload)."""
    import csv

    with open(grades / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    wrong = []
    for folder, student in students.items():
        ident = submission_id(folder)
        if ident not in rows:
            wrong.append(f"{student.kind} ({ident}): no row in grades.csv")
            continue
        total = float(rows[ident]["total"])
        kind, _, value = student.expect.partition("=")
        if (kind == "total" and total != float(value)) or (kind == "full" and total != full) \
                or (kind == "less" and total >= full) or (kind == "at_most" and total > float(value)):
            wrong.append(f"{student.kind} ({ident}): {total:g} points, expected {student.expect}")
        if student.message and student.message not in (grades / ident / "feedback.md").read_text():
            wrong.append(f"{student.kind} ({ident}): its feedback does not say {student.message!r}")
    return wrong


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument("--n", type=int, default=300, help="students in the class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="default: build/class/<assignment>-<n>")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.assignment)
    out = args.out or REPO / "build" / "class" / f"{config.id}-{args.n}"
    students = build(config, args.n, out, args.seed)
    stem = f"CS101-{config.id}-{args.n}"
    hostile = sum(s.kind.startswith("hostile:") for s in students.values())
    broken = sum(s.kind.startswith("intake:") for s in students.values())
    print(f"{len(students)} students in {out}: {len(students) - hostile - broken} examples and variants, "
          f"{hostile} hostile, {broken} odd uploads")
    print(f"grade it: make grade ASSIGNMENT={config.id} SUBMISSIONS='{out / (stem + '.zip')}' "
          f"WORKSHEET='{out / ('Grades-' + stem + '.csv')}' JOBS=2")
    return 0
