"""The real ITALIC on a TA's disk, as a dataset of the kit (``make data DATASET=italic CONFIG=...``).

An importer of the data layer (kit/data/cache.py loads every ``data_manifests/importers/*.py``):
``CONFIGS`` become the datasets ``italic_<config>``, each read by ``import_dataset``.

ITALIC (Koudounas et al., 2023; Zenodo record 8040649, ``RiTA-nlp/ITALIC`` on the Hub) comes in
two layouts, both accepted for each configuration (``massive``, ``hard_speaker``, ``hard_noisy``):

- the **Zenodo release**: ``recordings/`` (the audio, one file per utterance named by its ``id``)
  and ``<config>_<split>.json`` metadata files (one JSON object per line: ``id``, ``speaker_id``,
  ``intent``, ``utt``, ``environment``, ``device``, ...);
- a **``datasets`` copy written with ``save_to_disk``**: ``dataset_dict.json`` and one folder per
  split with ``state.json``, ``dataset_info.json`` and ``data-*.arrow``; the ``audio`` column holds
  the file's bytes, or only the path of a file the Hub cache extracted (which must still exist).
  The copy may sit in ``DATA_DIR`` itself or in ``DATA_DIR/<config>/``.

Nothing is downloaded. The copy is checked against the published facts in
``data_manifests/published/italic.json`` (utterances per split where published, the 60 MASSIVE
intents, 16 kHz mono), then laid out as a kit dataset folder in the cache (``build/cache/
datasets/italic_<config>-<key>/``: one link, or for embedded bytes one file, per utterance, and
a ``manifest.json``), which the rest of the data layer verifies file by file and extracts
features from like any other dataset. Re-running with an unchanged copy reuses that folder.

The grading side needs a split no student trains or selects on: half of the speakers of
ITALIC's ``test`` split (drawn with a fixed seed) become the hidden ``holdout``; the other half
stay the students' ``test``. ``validation`` is the kit's ``val``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field

from kit.data.manifest import SPLIT_FOLDERS, Manifest, ManifestError, parse_manifest
from kit.files import atomic_write_bytes, atomic_write_text, read_json_object
from kit.paths import REPO

FACTS_PATH = REPO / "data_manifests" / "published" / "italic.json"
CONFIGS = ("massive", "hard_speaker", "hard_noisy")  # the published configurations (the facts' keys)
DATA_DIR_HINT = ("pass the folder of your ITALIC copy, e.g. `make data ASSIGNMENT=ex03_intent DATASET=italic "
                 "CONFIG=massive DATA_DIR=/path/to/ITALIC` (data_manifests/importers/italic.py lists the layouts "
                 "it reads)")
ITALIC_SPLITS = ("train", "validation", "test")
# ITALIC's split -> the kit's (the test split is divided into test and holdout by speaker).
KIT_SPLIT = {"train": "train", "validation": "val", "test": "test"}
IMPORT_VERSION = 1  # bump when the folder this module writes changes
IMPORTED = "IMPORTED.json"
_SHOWN = 40  # problems listed in the report; the full list is written next to it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holdout(_Strict):
    source: str = Field(alias="from", description="the ITALIC split the holdout is drawn from")
    speaker_fraction: float = Field(gt=0, lt=1)
    seed: int


class Facts(_Strict):
    """What is published about ITALIC, the yardstick of a TA's copy (data_manifests/published/italic.json)."""

    schema_version: int
    id: str
    title: str
    source: str
    licence: str
    sample_rate: int
    channels: int
    recordings: int = Field(description="utterances in the whole collection (the paper's 16,521)")
    intents: list[str] = Field(min_length=2, description="class-id order (MASSIVE's intents, sorted)")
    configs: dict[str, dict[str, int] | None] = Field(
        description="utterances per split of each configuration; null where the kit has no published figure")
    holdout: Holdout


def load_facts(path: Path = FACTS_PATH) -> Facts:
    return Facts.model_validate_json(path.read_text(encoding="utf-8"))


def class_names() -> list[str]:
    """The 60 intents in class-id order (the published facts are read only when asked: the otter
    autograder zip does not ship them)."""
    return load_facts().intents


class ItalicError(ManifestError):
    """The copy cannot be used; the message says what is missing or different and what to do."""


@dataclass
class Utterance:
    id: str
    split: str  # ITALIC's: train / validation / test
    intent: str
    speaker: str
    source: Path | None  # an audio file on disk, or None when the copy embeds its bytes
    data: bytes | None = None


# --- reading the two layouts -----------------------------------------------------------


def _zenodo_root(data_dir: Path, config: str) -> Path | None:
    for folder in (data_dir, *sorted(p for p in data_dir.iterdir() if p.is_dir())):
        if any((folder / f"{config}_{split}.json").is_file() for split in ITALIC_SPLITS):
            return folder
    return None


def _saved_root(data_dir: Path, config: str) -> Path | None:
    for folder in (data_dir / config, data_dir, *sorted(p for p in data_dir.iterdir() if p.is_dir())):
        if (folder / "dataset_dict.json").is_file() or (folder / "train" / "state.json").is_file():
            return folder
    return None


def _json_records(path: Path) -> list[dict]:
    """A metadata file: one JSON object per line (the release's form) or one JSON array."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        records = json.loads(stripped)
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(r, dict) for r in records):
        raise ValueError("expected JSON objects")
    return records


def _read_zenodo(root: Path, config: str, problems: list[str]) -> list[Utterance]:
    recordings = root / "recordings"
    if not recordings.is_dir():
        problems.append(f"missing      {recordings}: the release's audio folder (recordings/*.wav)")
        return []
    audio = {}
    for path in recordings.rglob("*"):
        if path.suffix.lower() in (".wav", ".flac") and path.is_file():
            audio.setdefault(path.stem, path)
    found = []
    for split in ITALIC_SPLITS:
        meta = root / f"{config}_{split}.json"
        if not meta.is_file():
            problems.append(f"missing      {meta.name}: the metadata of ITALIC's {config} {split} split")
            continue
        try:
            records = _json_records(meta)
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(f"unreadable   {meta.name}: expected one JSON object per line; {error}")
            continue
        for line, record in enumerate(records, 1):
            if "id" not in record or "intent" not in record:
                problems.append(f"mismatch     {meta.name} line {line}: expected the fields id and intent; "
                                f"found {sorted(record)[:8]}")
                continue
            key = str(record["id"])
            path = audio.get(key) or audio.get(Path(_named_file(record)).stem)
            if path is None:
                problems.append(f"missing      recordings/{key}.wav: the audio of {meta.name} line {line}")
                continue
            found.append(Utterance(key, split, str(record["intent"]), str(record.get("speaker_id", "")), path))
    return found


def _named_file(record: dict) -> str:
    """The audio file a metadata record names, if any (``path``, or ``audio.path`` as the Hub writes it)."""
    audio = record.get("audio")
    named = audio.get("path") if isinstance(audio, dict) else record.get("path")
    return str(named or "")


def _arrow_batches(path: Path) -> Iterator:
    """The record batches of a ``datasets`` arrow file (an Arrow IPC stream; files are read too)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
            yield from reader
        except pa.ArrowInvalid:
            source.seek(0)
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)


def _read_saved(root: Path, config: str, problems: list[str]) -> list[Utterance]:
    found = []
    for split in ITALIC_SPLITS:
        folder = root / split
        state_path, info_path = folder / "state.json", folder / "dataset_info.json"
        if not state_path.is_file():
            problems.append(f"missing      {split}/state.json: the {split} split of the save_to_disk copy")
            continue
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
        except ValueError as error:
            problems.append(f"unreadable   {split}/state.json or dataset_info.json: {error}")
            continue
        saved_config = info.get("config_name")
        if saved_config and saved_config not in (config, "default"):
            problems.append(f"mismatch     {split}/dataset_info.json: expected configuration {config}; found "
                            f"{saved_config} (pass CONFIG={saved_config}, or the folder of the {config} copy)")
            continue
        intent_feature = info.get("features", {}).get("intent", {})
        intent_names = intent_feature.get("names") if intent_feature.get("_type") == "ClassLabel" else None
        files = [entry.get("filename") for entry in state.get("_data_files", [])]
        if not files:
            problems.append(f"missing      {split}/data-*.arrow: state.json lists no data files")
            continue
        for name in files:
            path = folder / str(name)
            if not path.is_file():
                problems.append(f"missing      {split}/{name}: listed in {split}/state.json")
                continue
            try:
                for batch in _arrow_batches(path):
                    found += _saved_rows(batch, split, intent_names, root, problems, f"{split}/{name}")
            except Exception as error:  # pyarrow's errors: a truncated or foreign file
                problems.append(f"unreadable   {split}/{name}: expected an Arrow file written by datasets; "
                                f"{type(error).__name__}: {error}")
    return found


def _saved_rows(batch, split, intent_names, root, problems, where) -> list[Utterance]:
    columns = set(batch.schema.names)
    missing = {"id", "intent", "audio"} - columns
    if missing:
        problems.append(f"mismatch     {where}: expected the columns id, intent and audio; found no "
                        f"{', '.join(sorted(missing))}")
        return []
    ids = batch.column("id").to_pylist()
    intents = batch.column("intent").to_pylist()
    speakers = batch.column("speaker_id").to_pylist() if "speaker_id" in columns else [""] * len(ids)
    audio = batch.column("audio")
    found = []
    for i, key in enumerate(ids):
        intent = intents[i]
        if intent_names is not None and isinstance(intent, int):
            intent = intent_names[intent] if 0 <= intent < len(intent_names) else f"class id {intent}"
        cell = audio[i].as_py() or {}
        data, path = cell.get("bytes"), cell.get("path")
        source = None
        if not data:
            candidates = [Path(path)] if path and Path(path).is_absolute() else \
                [root / path, root / split / path] if path else []
            source = next((c for c in candidates if c.is_file()), None)
            if source is None:
                problems.append(f"missing      {path or f'the audio of id {key}'}: {where} row {i} has no audio "
                                "bytes and its file is not there (keep the Hub cache's extracted files, or "
                                "save the copy after `dataset.cast_column('audio', Audio(decode=False))` with the "
                                "files embedded)")
                continue
        found.append(Utterance(str(key), split, str(intent), str(speakers[i] or ""), source, data))
    return found


# --- checks against the published facts ------------------------------------------------


def check_copy(utterances: list[Utterance], facts: Facts, config: str, problems: list[str]) -> None:
    """Counts per split (where published), the intent set, and ids used once."""
    counts = Counter(u.split for u in utterances)
    published = facts.configs.get(config)
    if published:
        for split in ITALIC_SPLITS:
            if split in published and counts[split] != published[split]:
                problems.append(f"count        {config} {split}: expected {published[split]} utterances "
                                f"(published); found {counts[split]}")
    known = set(facts.intents)
    for intent, n in sorted(Counter(u.intent for u in utterances).items()):
        if intent not in known:
            problems.append(f"mismatch     intent {intent!r} ({n} utterances): expected one of ITALIC's 60 "
                            "intents (data_manifests/published/italic.json)")
    unused = sorted(known - {u.intent for u in utterances if u.split == "train"})
    if utterances and unused:
        problems.append(f"missing      {len(unused)} intent(s) have no training utterance: "
                        f"{', '.join(unused[:10])}{' ...' if len(unused) > 10 else ''}")
    seen = Counter(u.id for u in utterances)
    twice = sorted(key for key, n in seen.items() if n > 1)
    if twice:
        problems.append(f"duplicate    {len(twice)} id(s) appear in more than one place, e.g. {', '.join(twice[:5])}")
    if len(seen) > facts.recordings:
        problems.append(f"count        {config}: expected at most {facts.recordings} utterances (the whole "
                        f"collection); found {len(seen)}")


def holdout_speakers(utterances: list[Utterance], facts: Facts) -> set[str]:
    """The speakers of ITALIC's test split whose utterances become the hidden holdout: a seeded draw
    of ``speaker_fraction`` of them (an utterance without a speaker counts as its own speaker)."""
    speakers = sorted({u.speaker or f"id:{u.id}" for u in utterances if u.split == facts.holdout.source})
    if len(speakers) < 2:
        return set()
    random.Random(facts.holdout.seed).shuffle(speakers)
    n = min(len(speakers) - 1, max(1, round(facts.holdout.speaker_fraction * len(speakers))))
    return set(speakers[:n])


# --- the kit folder ---------------------------------------------------------------------


def _container(data: bytes | None, path: Path | None) -> str | None:
    head = data[:4] if data else path.open("rb").read(4)
    return {b"RIFF": "wav", b"RF64": "wav", b"fLaC": "flac"}.get(head)


def _copy_key(data_dir: Path, config: str, root: Path, facts: Facts) -> str:
    """Changes when the copy's metadata changes (audio changes are caught by verification)."""
    stats = []
    for path in sorted(root.glob(f"{config}_*.json")) + sorted(root.glob("*/state.json")) + \
            sorted(root.glob("*/data-*.arrow")):
        stat = path.stat()
        stats.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    payload = json.dumps([IMPORT_VERSION, str(data_dir.resolve()), config, str(root), stats, facts.model_dump_json()])
    return hashlib.sha256(payload.encode()).hexdigest()


def import_dataset(data_dir: Path, config: str, cache_root: Path, progress: bool = True,
                   facts: Facts | None = None) -> tuple[Manifest, Path]:
    """Read, check and lay out a TA's copy of one configuration; returns the manifest and its folder
    (``facts``: the published facts, data_manifests/published/italic.json unless given)."""
    facts = facts or load_facts()
    if config not in facts.configs:
        raise ItalicError(f"unknown ITALIC configuration {config!r}: use CONFIG={' or CONFIG='.join(facts.configs)}")
    data_dir = Path(data_dir).expanduser()
    if not data_dir.is_dir():
        raise ItalicError(f"{data_dir}: expected the folder of your ITALIC copy; found "
                          f"{'a file' if data_dir.exists() else 'nothing at that path'}")
    zenodo, saved = _zenodo_root(data_dir, config), _saved_root(data_dir, config)
    if zenodo is None and saved is None:
        raise ItalicError(
            f"{data_dir} is not an ITALIC copy of the {config} configuration: expected either the Zenodo release "
            f"(recordings/ and {config}_train.json, {config}_validation.json, {config}_test.json) or a `datasets` "
            f"copy written with save_to_disk (dataset_dict.json and train/, validation/, test/ with state.json "
            f"and data-*.arrow, in {data_dir} or {data_dir / config})")
    root = zenodo if zenodo is not None else saved
    key = _copy_key(data_dir, config, root, facts)
    folder = Path(cache_root) / "datasets" / f"italic_{config}-{key[:16]}"
    done = read_json_object(folder / IMPORTED)
    if done is not None and done.get("key") == key and (folder / "manifest.json").is_file():
        return parse_manifest(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))), folder

    problems: list[str] = []
    reader = _read_zenodo if zenodo is not None else _read_saved
    utterances = reader(root, config, problems)
    check_copy(utterances, facts, config, problems)
    if problems:
        raise ItalicError(_report(problems, data_dir, config, folder))
    held = holdout_speakers(utterances, facts)
    manifest = _lay_out(utterances, held, facts, config, folder, progress)
    atomic_write_text(folder / IMPORTED, json.dumps({"key": key, "layout": "zenodo" if zenodo else "save_to_disk",
                                                     "copy": str(root), "utterances": len(utterances)}))
    return manifest, folder


def _lay_out(utterances, held, facts, config, folder: Path, progress: bool) -> Manifest:
    import soundfile

    from kit.data.verify import _progress_bar

    folder.mkdir(parents=True, exist_ok=True)
    (folder / IMPORTED).unlink(missing_ok=True)
    clips, problems, containers = [], [], Counter()
    bar = _progress_bar(progress, len(utterances), f"laying out ITALIC {config}")
    for u in utterances:
        split = KIT_SPLIT[u.split]
        if u.split == facts.holdout.source and (u.speaker or f"id:{u.id}") in held:
            split = "holdout"
        suffix = _container(u.data, u.source)
        name = f"{SPLIT_FOLDERS[split]}/{u.id}.{suffix or 'unknown'}"
        bar.advance()
        if suffix is None:
            problems.append(f"mismatch     {u.source or u.id}: expected WAV or FLAC audio; found another format "
                            "(convert it to WAV or FLAC first)")
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if u.data is not None:
            if not target.is_file() or target.stat().st_size != len(u.data):
                atomic_write_bytes(target, u.data)
        elif not (target.is_symlink() and target.resolve() == u.source.resolve()):
            target.unlink(missing_ok=True)
            target.symlink_to(u.source.resolve())
        try:
            duration = soundfile.info(str(target)).duration
        except Exception as error:
            problems.append(f"unreadable   {u.source or name}: expected decodable audio; found {error}")
            continue
        if duration <= 0:
            problems.append(f"mismatch     {u.source or name}: expected some audio; found an empty file")
            continue
        containers[suffix] += 1
        clips.append({"path": name, "label": u.intent, "split": split, "duration": round(duration, 4)})
    bar.close()
    if problems:
        raise ItalicError(_report(problems, folder, config, folder))
    container = containers.most_common(1)[0][0].upper()
    durations = [c["duration"] for c in clips]
    low, high = min(durations), max(durations)
    manifest = parse_manifest({
        "schema_version": 1,
        "dataset": {
            "id": f"italic_{config}", "title": f"{facts.title}, configuration {config}",
            "source": facts.source, "licence": facts.licence, "sample_rate": facts.sample_rate,
            "labels": facts.intents,
            "audio": {"container": container, "sample_rate": facts.sample_rate, "channels": facts.channels,
                      "bit_depth": None, "nominal_duration": round((low + high) / 2, 4),
                      "duration_tolerance": round((high - low) / 2 + 0.01, 4)},
        },
        "clips": clips,
    }, f"ITALIC {config}")
    atomic_write_text(folder / "manifest.json", manifest.model_dump_json(indent=1))
    return manifest


def _report(problems: list[str], data_dir: Path, config: str, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    full = folder / "problems.txt"
    atomic_write_text(full, "\n".join(problems) + "\n")
    kinds = Counter(line.split()[0] for line in problems)
    shown = "\n".join(f"  {line}" for line in problems[:_SHOWN])
    more = f"\n  ... and {len(problems) - _SHOWN} more (every one in {full})" if len(problems) > _SHOWN else ""
    summary = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    return (f"ITALIC {config} in {data_dir}: the copy does not match what is published ({summary}):\n{shown}{more}\n"
            "What to do: pass the folder of a complete copy of this configuration (the Zenodo release unpacked, "
            "or the folder written by DatasetDict.save_to_disk); the published figures are in "
            "data_manifests/published/italic.json.")

