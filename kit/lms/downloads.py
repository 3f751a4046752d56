"""An LMS's "download all submissions" (its zip, or that zip unpacked) -> one folder per student.

Formats recognised (each checked against the LMS's own source, see the functions):

- Moodle 3.1+ (mod/assign ``download_submissions``), "in folders": one folder per student,
  ``<Full name>_<participant id>_assignsubmission_file_`` (Moodle 4.1+ drops the final ``_``;
  under blind marking the name is ``Participant``, localised; team submissions use the
  group's name and id). Moodle replaces ``_`` in names with spaces, so the id is the second
  ``_`` field, which is how its feedback-zip importer reads it back.
- Moodle, flat ("Download submissions in folders" off): files named
  ``<Full name>_<participant id>_assignsubmission_file_<file name>``.
- Canvas (``lib/content_zipper.rb``): flat files
  ``<sortable name>[_LATE]_<user id>_<attachment id>_<file name>``, where the name is
  lower-cased "last, first" with non-word characters removed and the user id is
  ``anon_<anonymous id>`` (and the name absent) under anonymous grading.

Other folders and zips (named after the student) are graded as they are, without an LMS
identity. A zip is unpacked under the kit's build folder with path, size and count limits:
its names come from students.
"""

from __future__ import annotations

import errno
import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kit.lms import Student

# "<name>_<participant id>" then the plugin part Moodle appends to every student's folder or file.
MOODLE_PLUGIN = r"_(?P<plugin>assignsubmission|assignfeedback)_(?P<type>[a-z]+)"
MOODLE_FOLDER = re.compile(rf"^(?P<name>[^_]*)_(?P<id>\d+){MOODLE_PLUGIN}_?$")
MOODLE_FLAT_FILE = re.compile(rf"^(?P<folder>(?P<name>[^_]*)_(?P<id>\d+){MOODLE_PLUGIN}_)(?P<file>.+)$")
CANVAS_FILE = re.compile(
    r"^(?:(?P<name>.*?)_)??(?:LATE_)?(?P<user>anon_[A-Za-z0-9]+|\d+)_(?P<attachment>\d+)_(?P<file>.+)$")

MAX_TOTAL_BYTES = 4 << 30  # a course's whole download; student zips inside are capped again by intake
MAX_ENTRIES = 200_000


@dataclass
class Download:
    """The folder to grade, and the LMS identity of each submission in it (by entry name)."""

    folder: Path
    students: dict[str, Student] = field(default_factory=dict)
    lms: str = ""
    ignored: list[str] = field(default_factory=list)  # entries that are not a submission's files

    def entries(self) -> list[Path]:
        return [e for e in _entries(self.folder) if e.name not in self.ignored]


def moodle_student(name: str) -> Student | None:
    match = MOODLE_FOLDER.match(name)
    if not match:
        return None
    return Student("moodle", match["id"], match["name"], name)


def canvas_file(name: str) -> tuple[Student, str] | None:
    """(student, original file name) of a file in a Canvas download, or None."""
    match = CANVAS_FILE.match(name)
    if not match or MOODLE_FLAT_FILE.match(name):
        return None
    prefix = name[: match.start("attachment") - 1]
    return Student("canvas", match["user"], match["name"] or "", prefix), match["file"]


def open_download(path: Path, unpack_root: Path) -> Download:
    """The submissions in ``path`` (a folder or an LMS zip), one folder or zip per student."""
    if path.is_file() and path.suffix.lower() == ".zip":
        path = _unpack(path, unpack_root)
    if not path.is_dir():
        raise SystemExit(f"SUBMISSIONS={path} is neither a folder nor a zip")
    entries = _entries(path)
    if len(entries) == 1 and entries[0].is_dir() and _lms_layout(_entries(entries[0])):
        return open_download(entries[0], unpack_root)  # a zip or folder wrapping an LMS download
    layout = _lms_layout(entries)
    if layout in ("moodle-flat", "canvas"):
        parse = _moodle_flat if layout == "moodle-flat" else canvas_file
        return _group(path, unpack_root, [e for e in entries if e.is_file()], parse)
    students = {e.name: s for e in entries if (s := moodle_student(e.name))}
    # Moodle gives each submission plugin its own folder (..._assignsubmission_onlinetext_):
    # the files are graded, the rest is not a second submission of the same student.
    ignored = [name for name in students if MOODLE_FOLDER.match(name)["type"] != "file"]
    for name in ignored:
        del students[name]
    return Download(path, students, "moodle" if students else "", ignored)


def _entries(folder: Path) -> list[Path]:
    return [e for e in sorted(folder.iterdir()) if not e.name.startswith((".", "__MACOSX"))]


def _lms_layout(entries: list[Path]) -> str:
    """"moodle" (a folder per student), "moodle-flat", "canvas" (a file per submitted file) or ""."""
    files = [e for e in entries if e.is_file()]
    if files and any(MOODLE_FLAT_FILE.match(f.name) for f in files):
        return "moodle-flat"
    if files and all(canvas_file(f.name) for f in files):
        return "canvas"
    if any(e.is_dir() and moodle_student(e.name) for e in entries):
        return "moodle"
    return ""


def _moodle_flat(name: str) -> tuple[Student, str] | None:
    match = MOODLE_FLAT_FILE.match(name)
    if not match:
        return None
    return Student("moodle", match["id"], match["name"], match["folder"]), match["file"]


def _group(source: Path, unpack_root: Path, files: list[Path], parse) -> Download:
    """Flat per-file downloads become one folder per student, named as the LMS names the student."""
    target = unpack_root / f"{source.name}-grouped-{_digest(str(source.resolve()))}"
    if target.exists():
        shutil.rmtree(target)
    students: dict[str, Student] = {}
    lms = ""
    for path in files:
        parsed = parse(path.name)
        if parsed is None:
            continue  # not a submission file (a TA's note, an index page)
        student, original = parsed
        folder = target / student.folder
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / _safe_name(original))
        students[student.folder] = student
        lms = student.lms
    return Download(target, students, lms)


def _unpack(archive: Path, unpack_root: Path) -> Path:
    target = unpack_root / f"{archive.stem}-{_digest(archive.read_bytes())}"
    if (target / ".complete").is_file():
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise SystemExit(f"SUBMISSIONS={archive} is not a readable zip file; download it again from the LMS") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise SystemExit(f"{archive} holds more than {MAX_ENTRIES} files or {MAX_TOTAL_BYTES >> 30} GB unpacked")
        for info in infos:
            name = _entry_name(info)
            parts = PurePosixPath(name).parts
            is_link = stat.S_ISLNK(info.external_attr >> 16)
            if info.is_dir() or is_link or not parts or name.startswith("/") or ".." in parts:
                continue
            destination = target.joinpath(*(_safe_name(p) for p in parts))
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink)
            except (OSError, zipfile.BadZipFile, NotImplementedError) as error:
                if getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
                    raise
                continue  # an entry that cannot be a file here (a name both file and folder, a bad entry)
    (target / ".complete").touch()
    return target


def _entry_name(info: zipfile.ZipInfo) -> str:
    """Entry names as the LMS wrote them: UTF-8 even where the zip does not set its UTF-8 flag
    (zipfile then decodes as cp437, which turns 'Núñez' into mojibake)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _safe_name(name: str, limit: int = 200) -> str:
    """One path part as a file name: no separators, and short enough for any file system (255 bytes),
    keeping its extension."""
    cleaned = re.sub(r"[\x00/\\]", "_", name).strip()
    cleaned = cleaned.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if len(cleaned.encode()) > limit:
        stem, dot, suffix = cleaned.rpartition(".") if len(cleaned.rpartition(".")[2]) <= 10 else (cleaned, "", "")
        digest = _digest(cleaned)
        cleaned = stem.encode()[: limit - 20].decode("utf-8", "ignore") + "-" + digest + dot + suffix
    return cleaned if cleaned not in ("", ".", "..") else "_"


def _digest(data: bytes | str) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()[:8]
