"""Find submissions in a folder and stage each one's files for grading.

A submission is a folder or a zip: named after the student, or Moodle's bulk-download
``Full Name_12345_assignsubmission_file_``. Inside, the required files may sit at any depth
or inside a further zip, under any ``<name>`` suffix. Problems (missing, duplicate or
misnamed files) are reported to the student and the TA, and grading goes on with what
was found.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kit.grading.config import AssignmentConfig
from kit.lms.downloads import MOODLE_PLUGIN

MOODLE_SUFFIX = re.compile(MOODLE_PLUGIN + "_?$", re.IGNORECASE)
MAX_ZIP_BYTES = 50 << 20  # total uncompressed size we are willing to read from one submission
MAX_ZIP_ENTRIES = 2000  # files read from one submission (the required ones first)
MAX_LISTED = 100_000  # entries of one zip looked at by name
IGNORED_PARTS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


@dataclass
class Submission:
    id: str
    source: Path
    files: dict[str, str] = field(default_factory=dict)  # role -> staged file name
    problems: list[str] = field(default_factory=list)  # things the student got wrong
    notes: list[str] = field(default_factory=list)  # what intake did about it

    def report(self) -> str:
        lines = [f"Problem: {p}" for p in self.problems] + [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def submission_id(name: str) -> str:
    """A stable, file-system-safe id: 'José Núñez_12345_assignsubmission_file_' -> 'jose_nunez_12345'."""
    stem = MOODLE_SUFFIX.sub("", Path(name).stem if name.lower().endswith(".zip") else name)
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if len(slug) > 80:  # a folder name stays far below the file system's 255 bytes
        slug = slug[:60].rstrip("_") + "_" + hashlib.sha256(slug.encode()).hexdigest()[:8]
    return slug or "submission"


def discover(folder: Path, entries: list[Path] | None = None) -> list[tuple[str, Path]]:
    """(id, path) of every submission in ``folder`` (its sub-folders and zips), or of ``entries``."""
    if entries is None and not folder.is_dir():
        raise SystemExit(f"SUBMISSIONS={folder} is not a folder")
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()) if entries is None else entries:
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            ident = submission_id(entry.name)
            while ident in found:  # two students whose names slug alike keep both submissions
                ident += "_2"
            found[ident] = entry
    return sorted(found.items())


@dataclass
class _Reading:
    """What reading one submission's files may still take, and what it had to leave out."""

    budget: int = MAX_ZIP_BYTES  # bytes of .py and .zip content, over all nesting
    entries: int = MAX_ZIP_ENTRIES  # files read
    problems: list[str] = field(default_factory=list)
    prefixes: tuple[str, ...] = ()  # the required files' name starts: read first, whatever else there is

    def first(self, names: list[str]) -> list[str]:
        """``names`` with the required files first, then zips (which may hold them), so that a submission
        of 10,000 files keeps its own."""
        return sorted(names, key=lambda name: (not PurePosixPath(name).name.startswith(self.prefixes),
                                               not name.lower().endswith(".zip")))

    def take(self, where: str, size: int) -> bool:
        if self.entries <= 0:
            self._once(f"more than {MAX_ZIP_ENTRIES} files: your own files and {MAX_ZIP_ENTRIES} in all were read "
                       "(submit only your .py files)")
            return False
        self.entries -= 1
        if size > self.budget:
            self._once(f"{where} and what follows it unpack to more than {MAX_ZIP_BYTES >> 20} MB: not read "
                       "(submit only your .py files)")
            return False
        self.budget -= size
        return True

    def _once(self, problem: str) -> None:
        if not any(p.split(":")[0] == problem.split(":")[0] for p in self.problems):
            self.problems.append(problem)


def _printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (a name from an old zip tool) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _read_tree(path: Path, reading: _Reading) -> dict[str, tuple[bytes, float]]:
    """Every .py file of a submission (folder or zip, zips nested once), by relative path, within
    ``reading``'s limits. Symlinks are never followed: one could point at any file the grader can read."""
    files: dict[str, tuple[bytes, float]] = {}
    if path.is_dir():
        items = {item.relative_to(path).as_posix(): item for item in path.rglob("*")}
        for item in (items[name] for name in reading.first(sorted(items))):
            relative = item.relative_to(path)
            if any(part in IGNORED_PARTS or part.startswith(".") for part in relative.parts) or item.is_symlink():
                continue
            name = _printable(relative.as_posix())
            if item.is_file() and item.suffix in (".py", ".zip"):
                if not reading.take(name, item.stat().st_size):
                    continue
                if item.suffix == ".py":
                    files[name] = (item.read_bytes(), item.stat().st_mtime)
                else:
                    files.update(_read_zip(item.read_bytes(), name + "/", reading))
    elif not path.is_symlink():
        files.update(_read_zip(path.read_bytes(), "", reading))
    return files


def _read_zip(data: bytes, prefix: str, reading: _Reading, depth: int = 0) -> dict[str, tuple[bytes, float]]:
    files: dict[str, tuple[bytes, float]] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return {prefix + "(unreadable zip)": (b"", 0.0)}
    by_name = {info.filename: info for info in infos[:MAX_LISTED]}
    for info in (by_name[name] for name in reading.first(sorted(by_name))):
        name = PurePosixPath(_printable(info.filename))
        if info.is_dir() or name.is_absolute() or ".." in name.parts or stat.S_ISLNK(info.external_attr >> 16):
            continue
        if any(part in IGNORED_PARTS or part.startswith(".") for part in name.parts):
            continue
        if name.suffix not in {".py", ".zip"} or (name.suffix == ".zip" and depth > 0):
            continue
        if not reading.take(prefix + str(name), info.file_size):
            continue
        try:
            content = archive.read(info)
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
            files[prefix + str(name) + " (unreadable zip)"] = (b"", 0.0)
            continue
        if name.suffix == ".zip":
            files.update(_read_zip(content, prefix + str(name) + "/", reading, depth + 1))
        else:
            timestamp = float(sum(v * m for v, m in zip(info.date_time, (1e10, 1e8, 1e6, 1e4, 1e2, 1))))
            files[prefix + str(name)] = (content, timestamp)
    return files


def stage(ident: str, source: Path, config: AssignmentConfig, destination: Path) -> Submission:
    """Copy the submission's Python files into ``destination`` under the names graders expect."""
    submission = Submission(ident, source)
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    reading = _Reading(prefixes=tuple(spec.prefix for spec in config.student_files.values()))
    tree = _read_tree(source, reading)
    if any(name.endswith("(unreadable zip)") for name in tree):
        submission.problems.append(f"{_printable(source.name)} contains a zip file that cannot be opened")
        tree = {name: file for name, file in tree.items() if not name.endswith("(unreadable zip)")}
    submission.problems += reading.problems
    helper_names = {Path(h).name for h in config.helpers}
    chosen_folder: str | None = None
    for role, spec in config.student_files.items():
        wanted = f"{spec.prefix}<name>.py"
        matches = sorted(n for n in tree if PurePosixPath(n).name.startswith(spec.prefix) and n.endswith(".py"))
        if not matches:
            lookalikes = sorted(
                n for n in tree if spec.marker.encode() in tree[n][0] and PurePosixPath(n).name not in helper_names
            )
            if not lookalikes:
                submission.problems.append(f"missing {wanted}: no such file and no file containing '{spec.marker}'")
                continue
            matches = lookalikes
            submission.problems.append(
                f"misnamed: expected {wanted}, found {PurePosixPath(lookalikes[0]).name} (contains '{spec.marker}'); "
                f"graded it as {spec.prefix}{ident}.py"
            )
        if len(matches) > 1:
            newest = max(matches, key=lambda n: (tree[n][1], n))
            submission.problems.append(
                f"duplicate: {len(matches)} files could be your {wanted} ({', '.join(matches)}); graded the newest, {newest}"
            )
            matches = [newest]
        path = matches[0]
        name = PurePosixPath(path).name
        staged_name = name if name.startswith(spec.prefix) else f"{spec.prefix}{ident}.py"
        (destination / staged_name).write_bytes(tree[path][0])
        if staged_name != name:
            (destination / name).write_bytes(tree[path][0])  # its own imports may use the old name
        submission.files[role] = staged_name
        chosen_folder = str(PurePosixPath(path).parent) if chosen_folder is None else chosen_folder
    # The student's own helper modules next to the required files come along.
    if chosen_folder is not None:
        for path, (content, _) in tree.items():
            name = PurePosixPath(path).name
            same_folder = str(PurePosixPath(path).parent) == chosen_folder
            taken = any(name.startswith(spec.prefix) for spec in config.student_files.values())
            if same_folder and not taken and not (destination / name).exists():
                if name in helper_names:
                    ours = next(h for h in config.helper_paths() if h.name == name).read_bytes()
                    if content != ours:
                        submission.notes.append(f"your {name} was replaced by the course's copy")
                    continue
                (destination / name).write_bytes(content)
    return submission
