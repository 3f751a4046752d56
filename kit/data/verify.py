"""Check a dataset folder against its manifest, reporting every problem by file name.

Two layouts are recognised:

- the **manifest layout**: each clip at its manifest path (``music_wav/x.wav``; for the
  embedded corpus its FLAC path). A clip found elsewhere under a folder of its own class
  (``music/x.wav``, the archive's second copy) is accepted with a note; under a folder of
  another class it is a mismatch.
- the **pre-split layout** (GTZAN copies handed to students): ``training/``, ``validation/``
  and ``testing/`` folders, clips directly inside or in any sub-folder, matched by name. The
  folders' split replaces the manifest's split (the effective manifest says so).

A folder that holds the dataset one level down (the extracted ``music_speech/``) is accepted.

Every missing, extra, unreadable or mismatched file is a :class:`Problem`; nothing is skipped
silently (non-audio files such as a README are listed in the notes). Checking a file means
reading its header (container, rate, channels, bit depth, duration) and, when the manifest has
one, its sha256. A record of files that passed, keyed by (path, size, mtime_ns), lets the next
run skip unchanged files; a changed file is checked again.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kit.data.manifest import SPLIT_FOLDERS, Archive, AudioFormat, Clip, Manifest, sha256_of_file
from kit.files import atomic_write_text

AUDIO_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".au", ".snd", ".aif", ".aiff", ".m4a", ".opus"}
RECORD_VERSION = 1
# soundfile subtypes -> bits per sample
_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
_CONTAINERS = {"WAVEX": "WAV", "RF64": "WAV"}


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | extra | unreadable | mismatch | duplicate | wrong folder | archive | folder
    name: str  # the file (relative to the dataset folder) or clip it is about
    expected: str
    found: str

    def line(self) -> str:
        return f"  {self.kind:<12} {self.name}: expected {self.expected}; found {self.found}"


@dataclass
class Verification:
    """What :func:`verify_dataset` found."""

    root: Path  # the dataset folder as used (resolved; one level down if that is where it is)
    layout: str  # "manifest" or "pre-split"
    manifest: Manifest  # effective manifest: paths relative to root, splits as used
    files: dict[str, Path] = field(default_factory=dict)  # clip stem -> file
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # clip stem -> (size, mtime_ns)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0  # files whose header/hash was read this time
    reused: int = 0  # files skipped because the record says they passed and are unchanged

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        counts: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            counts[problem.kind] += 1
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        lines = [f"{self.root} ({self.layout} layout): {len(self.problems)} problem(s): {summary}"]
        lines += [p.line() for p in sorted(self.problems, key=lambda p: (p.kind, p.name))]
        if self.notes:
            lines.append("notes:")
            lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


# --- layout -------------------------------------------------------------------------


def _walk(root: Path) -> list[str]:
    """All files under root, as sorted POSIX paths relative to root (symlinks followed)."""
    found = []
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs.sort()
        rel = Path(folder).relative_to(root)
        for name in names:
            found.append((rel / name).as_posix())
    return sorted(found)


def _is_audio(rel: str) -> bool:
    return PurePosixPath(rel).suffix.lower() in AUDIO_SUFFIXES and not PurePosixPath(rel).name.startswith("._")


def folder_label(folders: tuple[str, ...], labels: list[str]) -> str | None:
    """The class a folder path names (``music``, ``music_wav``, ``Speech-files``...), if any."""
    for part in reversed(folders):
        token = part.lower()
        for label in labels:
            if re.fullmatch(rf"{re.escape(label.lower())}s?([_\- ]?(wavs?|files|clips|audio))?", token):
                return label
    return None


def _has_layout(folder: Path, manifest: Manifest) -> bool:
    if not folder.is_dir():
        return False
    tops = {PurePosixPath(c.path).parts[0] for c in manifest.clips if len(PurePosixPath(c.path).parts) > 1}
    names = set(SPLIT_FOLDERS.values()) | tops | set(manifest.dataset.labels)
    return any((folder / name).is_dir() for name in names)


def resolve_root(data_dir: Path, manifest: Manifest) -> tuple[Path | None, list[Problem], list[str]]:
    """The folder that holds the dataset: data_dir itself or the one folder below it that does."""
    data_dir = Path(data_dir).expanduser()
    if not data_dir.exists():
        return None, [Problem("folder", str(data_dir), "a folder with the dataset", "nothing at that path")], []
    if data_dir.is_file():
        hint = "a folder"
        if data_dir.name.endswith((".tar.gz", ".tgz", ".zip", ".tar")):
            hint = f"a folder (extract the archive first: tar xzf {data_dir.name}; or pass it with --archive)"
        return None, [Problem("folder", str(data_dir), hint, "a file")], []
    data_dir = data_dir.resolve()
    if _has_layout(data_dir, manifest):
        return data_dir, [], []
    below = []
    if manifest.dataset.archive is not None:
        stem = re.sub(r"(\.tar\.gz|\.tgz|\.tar|\.zip)$", "", manifest.dataset.archive.name)
        below.append(data_dir / stem)
    below += sorted(p for p in data_dir.iterdir() if p.is_dir() and p not in below)
    for candidate in below:
        if _has_layout(candidate, manifest):
            return candidate, [], [f"using {candidate} (the dataset is one folder below {data_dir})"]
    # Nothing recognised: report against data_dir itself (every clip will be missing).
    return data_dir, [], []


def _locate_manifest_layout(manifest: Manifest, root: Path, files: list[str], v: Verification) -> dict[str, Clip]:
    """Clip stem -> effective clip (path as found) for the manifest layout."""
    labels = manifest.dataset.labels
    by_stem = {c.stem: c for c in manifest.clips}
    present = set(files)
    found: dict[str, Clip] = {}
    for clip in manifest.clips:
        if clip.path in present:
            found[clip.stem] = clip
    reported: set[str] = set()
    exact = {c.path for c in found.values()}
    copies, moved = [], []
    for rel in files:
        if rel in exact:
            continue
        if not _is_audio(rel):
            continue
        path = PurePosixPath(rel)
        clip = by_stem.get(path.stem)
        if clip is None:
            v.problems.append(Problem("extra", rel, "only the manifest's clips", "a file the manifest does not list"))
            continue
        here = folder_label(path.parts[:-1], labels)
        if here is not None and here != clip.label:
            v.problems.append(Problem(
                "wrong folder", rel, f"a {clip.label} clip, at {clip.path}", f"it in a {here} folder"))
            reported.add(clip.stem)
        elif clip.stem in found:
            if here == clip.label:
                copies.append(rel)
            else:
                v.problems.append(Problem("duplicate", rel, f"one copy of {clip.stem} (at {clip.path})",
                                          f"another copy at {rel}"))
        else:
            found[clip.stem] = clip.model_copy(update={"path": rel})
            moved.append(f"{rel} for {clip.path}")
    if moved:
        v.notes.append(f"using {len(moved)} clip(s) found in a folder of their class: {', '.join(moved[:3])}"
                       + (" ..." if len(moved) > 3 else ""))
    if copies:
        v.notes.append(f"ignored {len(copies)} second copies of clips in folders of their class "
                       f"(the archive holds each clip twice): {', '.join(copies[:3])}" + (" ..." if len(copies) > 3 else ""))
    for clip in manifest.clips:
        if clip.stem not in found and clip.stem not in reported:
            v.problems.append(Problem("missing", clip.path, f"a {clip.label} clip", "no such file"))
    return found


def _locate_pre_split(manifest: Manifest, root: Path, files: list[str], v: Verification) -> dict[str, Clip]:
    labels = manifest.dataset.labels
    by_stem = {c.stem: c for c in manifest.clips}
    folder_split = {folder: split for split, folder in SPLIT_FOLDERS.items()}
    found: dict[str, Clip] = {}
    reported: set[str] = set()
    ignored = []
    for rel in files:
        path = PurePosixPath(rel)
        if not _is_audio(rel):
            ignored.append(rel)
            continue
        split = folder_split.get(path.parts[0]) if len(path.parts) > 1 else None
        clip = by_stem.get(path.stem)
        if split is None or clip is None:
            where = "outside training/, validation/, testing/ and holdout/" if split is None else "a file the manifest does not list"
            v.problems.append(Problem("extra", rel, "only the manifest's clips, inside the split folders", where))
            continue
        here = folder_label(path.parts[1:-1], labels)
        if here is not None and here != clip.label:
            v.problems.append(Problem("wrong folder", rel, f"a {clip.label} clip", f"it in a {here} folder"))
            reported.add(clip.stem)
            continue
        if clip.stem in found:
            v.problems.append(Problem("duplicate", rel, f"{clip.stem} once in the split folders",
                                      f"a second copy (first at {found[clip.stem].path})"))
            continue
        found[clip.stem] = clip.model_copy(update={"path": rel, "split": split})
    if ignored:
        v.notes.append(f"ignored {len(ignored)} non-audio file(s): {', '.join(ignored[:5])}"
                       + (" ..." if len(ignored) > 5 else ""))
    for clip in manifest.clips:
        if clip.stem not in found and clip.stem not in reported:
            v.problems.append(Problem("missing", clip.path, f"a {clip.label} clip in training/, validation/, testing/ or holdout/",
                                      "no file of that name"))
    counts = defaultdict(int)
    for clip in found.values():
        counts[clip.split] += 1
    changed = sum(1 for s, c in found.items() if c.split != by_stem[s].split)
    v.notes.append(
        "pre-split copy: using the split of its training/validation/testing/holdout folders "
        f"(train {counts['train']}, val {counts['val']}, test {counts['test']}, holdout {counts['holdout']}; "
        f"{changed} clip(s) differ from the manifest's split)"
    )
    if found and not counts["holdout"]:
        v.notes.append("pre-split copy without holdout/: the held-out accuracy grader needs clips students never "
                       "received; move the manifest's holdout clips into holdout/")
    return found


# --- checks -------------------------------------------------------------------------


def check_audio(path: Path, clip: Clip, fmt: AudioFormat, rel: str) -> list[Problem]:
    """Header (container, rate, channels, bit depth, duration) and sha256 of one file."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except Exception as error:  # libsndfile says why: "Format not recognised", "truncated"...
        message = str(error).splitlines()[-1] if str(error) else type(error).__name__
        return [Problem("unreadable", rel, f"a {fmt.container} audio file", f"it cannot be read ({message})")]
    problems = []
    container = _CONTAINERS.get(info.format, info.format)
    if container != fmt.container:
        problems.append(Problem("mismatch", rel, f"container {fmt.container}", f"{info.format}"))
    if info.samplerate != fmt.sample_rate:
        problems.append(Problem("mismatch", rel, f"sample rate {fmt.sample_rate} Hz", f"{info.samplerate} Hz"))
    if info.channels != fmt.channels:
        problems.append(Problem("mismatch", rel, f"{fmt.channels} channel(s)", f"{info.channels}"))
    bits = _BITS.get(info.subtype)
    if fmt.bit_depth is not None and bits != fmt.bit_depth:
        problems.append(Problem("mismatch", rel, f"{fmt.bit_depth}-bit samples", f"{info.subtype}"))
    duration = info.frames / info.samplerate if info.samplerate else 0.0
    if abs(duration - clip.duration) > fmt.duration_tolerance + 1e-9:
        problems.append(Problem("mismatch", rel, f"duration {clip.duration:g} s +- {fmt.duration_tolerance:g} s",
                                f"{duration:.3f} s"))
    if clip.sha256 is not None:
        digest = sha256_of_file(path)
        if digest != clip.sha256:
            problems.append(Problem("mismatch", rel, f"sha256 {clip.sha256}", digest))
    return problems


def check_archive(path: Path, spec: Archive | None, record: dict | None = None) -> tuple[list[Problem], list[str]]:
    """Size and sha256 of the distributed archive (the only published hash)."""
    path = Path(path).expanduser()
    if spec is None:
        return [Problem("archive", str(path), "no archive (the manifest lists none)", "--archive was given")], []
    if not path.is_file():
        return [Problem("archive", str(path), f"the archive {spec.name}", "no such file")], []
    stat = path.stat()
    entry = [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    if record is not None and entry in record.get("archives", []):
        return [], [f"archive {path} matches the published sha256 (unchanged since the last check)"]
    if stat.st_size != spec.size:
        return [Problem("archive", str(path), f"{spec.size} bytes", f"{stat.st_size} bytes")], []
    digest = sha256_of_file(path)
    if digest != spec.sha256:
        return [Problem("archive", str(path), f"sha256 {spec.sha256}", digest)], []
    if record is not None:
        record.setdefault("archives", []).append(entry)
    notes = [f"archive {path} matches the published sha256"]
    if path.name != spec.name:
        notes.append(f"(the archive is usually called {spec.name})")
    return [], notes


# --- the record of verified files --------------------------------------------------------


def _load_record(path: Path | None, root: Path) -> dict:
    empty = {"version": RECORD_VERSION, "root": str(root), "files": {}, "archives": []}
    if path is None or not path.is_file():
        return empty
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION or record.get("root") != str(root):
        return empty
    if not isinstance(record.get("files"), dict) or not isinstance(record.get("archives"), list):
        return empty
    return record


def _save_record(path: Path, record: dict) -> None:
    atomic_write_text(path, json.dumps(record, indent=0, sort_keys=True))


def _clip_spec(clip: Clip, fmt: AudioFormat) -> str:
    """What a file was checked against: a record entry only counts for the same expectation."""
    return json.dumps([clip.stem, clip.label, clip.duration, clip.sha256, fmt.model_dump(mode="json")], sort_keys=True)


# --- entry point ------------------------------------------------------------------


def verify_dataset(
    manifest: Manifest,
    data_dir: str | Path,
    *,
    record_path: Path | None = None,
    archive: Path | None = None,
    progress: bool = False,
) -> Verification:
    """Verify ``data_dir`` against ``manifest``; never raises for a bad dataset (see ``.ok``)."""
    root, problems, notes = resolve_root(Path(data_dir), manifest)
    v = Verification(root=root or Path(data_dir), layout="manifest", manifest=manifest, problems=problems, notes=notes)
    if root is None:
        return v
    record = _load_record(record_path, root)
    if archive is not None:
        archive_problems, archive_notes = check_archive(archive, manifest.dataset.archive, record)
        v.problems += archive_problems
        v.notes += archive_notes

    files = _walk(root)
    own_split_folders = any(PurePosixPath(c.path).parts[0] in SPLIT_FOLDERS.values() for c in manifest.clips)
    pre_split = not own_split_folders and any((root / f).is_dir() for f in SPLIT_FOLDERS.values())
    if pre_split:
        v.layout = "pre-split"
        found = _locate_pre_split(manifest, root, files, v)
    else:
        found = _locate_manifest_layout(manifest, root, files, v)
        others = [f for f in files if not _is_audio(f)]
        if others:
            v.notes.append(f"ignored {len(others)} non-audio file(s): {', '.join(others[:5])}"
                           + (" ..." if len(others) > 5 else ""))

    fmt = manifest.dataset.audio
    old = record["files"]
    new: dict[str, list] = {}
    todo = []
    for clip in manifest.clips:
        eff = found.get(clip.stem)
        if eff is None:
            continue
        path = root / eff.path
        try:
            stat = path.stat()
        except OSError as error:
            v.problems.append(Problem("unreadable", eff.path, "a readable file", f"{error.strerror}"))
            continue
        v.files[clip.stem] = path
        v.stats[clip.stem] = (stat.st_size, stat.st_mtime_ns)
        entry = [stat.st_size, stat.st_mtime_ns, _clip_spec(eff, fmt)]
        if old.get(eff.path) == entry:
            new[eff.path] = entry
            v.reused += 1
        else:
            todo.append((eff, path, entry))
    bar = _progress_bar(progress, len(todo), "verifying")
    for eff, path, entry in todo:
        file_problems = check_audio(path, eff, fmt, eff.path)
        v.checked += 1
        if file_problems:
            v.problems += file_problems
        else:
            new[eff.path] = entry
        bar.advance()
    bar.close()
    record["files"] = new
    if record_path is not None and (new != old or archive is not None):
        _save_record(record_path, record)

    clips = [found[c.stem] for c in manifest.clips if c.stem in found]
    if clips and (pre_split or any(found[c.stem] is not c for c in manifest.clips if c.stem in found)):
        v.manifest = manifest.model_copy(update={"clips": clips})
    return v


class _NoBar:
    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


class _RichBar:
    def __init__(self, total: int, description: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(description, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()


def _progress_bar(enabled: bool, total: int, description: str):
    """A rich bar on stderr for long work when stderr is a terminal; otherwise nothing."""
    import sys

    if enabled and total >= 20 and sys.stderr.isatty():
        return _RichBar(total, description)
    return _NoBar()
