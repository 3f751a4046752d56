"""Verified, cached log-mel features of a dataset: what `make data` and the grading engine use.

:func:`prepare_dataset` verifies a dataset folder against its manifest (``kit.data.verify``),
then makes sure its features are in the cache and returns a :class:`FeatureSet`.

Cache layout (``build/cache`` by default)::

    features/<dataset id>-<key[:16]>/            a feature folder (kit/data/feature_files.py)
        training/<clip>.npz  validation/...  testing/...
        COMPLETE.json                            written last, atomically: key + clip list
    features/<dataset id>-<record key>.verified.json
                                                 files that passed verification, by (path, size, mtime_ns)

The key hashes the effective manifest (``manifest_digest``: splits as used), the feature
parameters, the data folder and ``FEATURE_CODE_VERSION``. A folder without a matching
``COMPLETE.json`` (a killed run) is completed: every feature file in it is checked and only
missing, unreadable or outdated ones are computed again. The warm path (``COMPLETE.json``
matches, sources unchanged) reads no audio and imports neither librosa nor numpy.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from kit.data.features import FeatureParams
from kit.data.manifest import SPLIT_FOLDERS, Manifest, ManifestError, load_manifest, manifest_digest
from kit.data.verify import Verification, _progress_bar, verify_dataset
from kit.paths import REPO
from kit.files import atomic_write_text, read_json_object

MANIFEST_DIR = REPO / "data_manifests"
DEFAULT_CACHE = REPO / "build" / "cache"
FEATURE_CODE_VERSION = 1  # bump when the extraction code changes what it writes
COMPLETE = "COMPLETE.json"
# Features are computed in this process, one clip after the other. There used to be a process
# pool; `make bench` measured it at 0.23x one worker on 2 cores, because the work is small: all
# of GTZAN music_speech (128 x 30 s) extracts in about 1.6 s serially, less than one pool
# worker's start-up (librosa and scipy imports, then numba loading its compiled cache). No pool
# can pay for itself on this course's data, so it was removed.


class DatasetError(Exception):
    """The dataset cannot be used; the message is the full report for a person."""


@dataclass(frozen=True)
class DatasetSpec:
    manifest: Path
    folder: Path | None  # None: the TA passes the folder (DATA_DIR)
    fix: str  # what to do when verification fails
    # A copy in the dataset's own layout rather than a manifest's (the real ITALIC): DATA_DIR and the
    # cache root -> the manifest and the kit folder it describes (``manifest`` is then its published facts).
    importer: Callable[[Path, Path, bool], tuple[Manifest, Path]] | None = None
    labels: Callable[[], list[str]] | None = None  # an importer's class names, in class-id order


DATASETS: dict[str, DatasetSpec] = {
    "embedded": DatasetSpec(
        MANIFEST_DIR / "embedded.json",
        MANIFEST_DIR / "embedded",
        "the embedded corpus is part of the repository: restore it with "
        "`git checkout -- data_manifests/embedded data_manifests/embedded.json`, or regenerate it with "
        "`make corpus`; remove files that do not belong in data_manifests/embedded/.",
    ),
    "gtzan": DatasetSpec(
        MANIFEST_DIR / "gtzan_music_speech.json",
        None,
        "re-extract music_speech.tar.gz (tar xzf music_speech.tar.gz) and pass the extracted folder, "
        "e.g. `make data DATASET=gtzan DATA_DIR=/path/to/music_speech`; a pre-split copy needs every clip "
        "exactly once in training/, validation/ or testing/ (sub-folders such as music/ and speech/ are fine), "
        "in a folder of its own class; move extra files out of the folder.",
    ),
}


def _discovered() -> dict[str, DatasetSpec]:
    """Every other manifest of ``data_manifests/`` is a dataset of its file's name: embedded (its audio in
    ``data_manifests/<name>/``, part of the repository) or a TA's copy (DATA_DIR), so that a new
    assignment's data is a manifest and a folder there, with no change to this module."""
    known = {spec.manifest for spec in DATASETS.values()}
    found = {}
    for manifest in sorted(MANIFEST_DIR.glob("*.json")):
        if manifest in known:
            continue
        folder = MANIFEST_DIR / manifest.stem
        fix = (f"the {manifest.stem} corpus is part of the repository: restore it with `git checkout -- "
               f"data_manifests/{manifest.stem} data_manifests/{manifest.name}`, or regenerate it with `make corpus`"
               if folder.is_dir() else
               f"pass the folder of your copy of {manifest.stem}, laid out as data_manifests/README.md describes")
        found[manifest.stem] = DatasetSpec(manifest, folder if folder.is_dir() else None, fix)
    return found


DATASETS.update(_discovered())


IMPORTERS = MANIFEST_DIR / "importers"


def importer(name: str) -> ModuleType:
    """The module ``data_manifests/importers/<name>.py``, loaded once.

    An importer reads a dataset that comes in a layout of its own (a TA's copy of the real
    ITALIC) and lays it out as a kit dataset folder. It provides ``CONFIGS`` (one kit dataset
    ``<name>_<config>`` each), ``FACTS_PATH`` (what the copy is checked against),
    ``DATA_DIR_HINT`` (what to pass as DATA_DIR), ``class_names()`` and
    ``import_dataset(data_dir, config, cache_root, progress) -> (Manifest, folder)``. A dataset
    for a new assignment therefore needs a file there, not a change here.
    """
    module_name = f"kit_dataset_importer_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, IMPORTERS / f"{name}.py")
        if spec is None or not (IMPORTERS / f"{name}.py").is_file():
            raise DatasetError(f"no dataset importer {name!r} in {IMPORTERS}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # before it runs: its dataclasses look themselves up there
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    return sys.modules[module_name]


def _imported_specs() -> dict[str, DatasetSpec]:
    """Every importer's configurations as datasets (``make data DATASET=italic CONFIG=hard_speaker`` is
    ``italic_hard_speaker``): each is graded and calibrated on its own. The otter autograder zip
    ships no importer, so there this finds none."""
    found = {}
    for path in sorted(IMPORTERS.glob("[!_]*.py")) if IMPORTERS.is_dir() else []:
        module = importer(path.stem)
        for config in module.CONFIGS:
            found[f"{path.stem}_{config}"] = DatasetSpec(
                module.FACTS_PATH, None, module.DATA_DIR_HINT,
                importer=functools.partial(_run_importer, module, config), labels=module.class_names)
    return found


def _run_importer(module: ModuleType, config: str, data_dir: Path, cache_root: Path,
                  progress: bool) -> tuple[Manifest, Path]:
    return module.import_dataset(data_dir, config, cache_root, progress)


DATASETS.update(_imported_specs())


def resolve_dataset(name: str) -> str:
    """A dataset name as the CLIs take it: an importer's name alone (``DATASET=italic``, no CONFIG)
    is its first configuration (``italic_massive``); any other name is itself, and an unknown
    one is reported where the dataset is located."""
    if name not in DATASETS and (IMPORTERS / f"{name}.py").is_file():
        return f"{name}_{importer(name).CONFIGS[0]}"
    return name


def class_names(dataset: str) -> list[str]:
    """The dataset's class names in class-id order: its manifest's ``labels`` (the engine keeps no list
    of its own: speech/music for the music/speech datasets, intents for the ITALIC ones)."""
    spec = DATASETS[dataset]
    return list(spec.labels()) if spec.labels else list(load_manifest(spec.manifest).dataset.labels)


@dataclass(frozen=True)
class FeatureSet:
    root: Path  # the feature folder
    manifest: Manifest  # effective manifest (splits as used, e.g. TA's pre-split folders)
    params: FeatureParams
    audio_root: Path  # the verified dataset folder the manifest's paths are relative to

    def files(self, split: str) -> list[Path]:
        """Sorted feature files of a split ("train"/"val"/"test"/"holdout")."""
        split = _split_name(split)
        folder = self.root / SPLIT_FOLDERS[split]
        return sorted(folder / f"{clip.stem}.npz" for clip in self.manifest.split(split))

    def load_split(self, split: str):
        """Stacked features (N, T, n_mels) float32 and labels (N,) int64 of a split."""
        import numpy as np

        from kit.data.feature_files import read_feature_file

        features, labels = [], []
        for path in self.files(split):
            x, y = read_feature_file(path)
            features.append(x)
            labels.append(y)
        if not features:
            shape = ((0, self.params.n_samples or 0) if self.params.kind == "waveform"
                     else (0, self.params.n_frames or 0, self.params.n_mels))
            return np.zeros(shape, np.float32), np.zeros(0, np.int64)
        return np.stack(features).astype(np.float32, copy=False), np.asarray(labels, dtype=np.int64)


def _split_name(split: str) -> str:
    folders = {folder: name for name, folder in SPLIT_FOLDERS.items()}
    if split in SPLIT_FOLDERS:
        return split
    if split in folders:
        return folders[split]
    raise ValueError(f"unknown split {split!r}: use 'train', 'val', 'test' or 'holdout'")


def cache_key(manifest: Manifest, params: FeatureParams, data_dir: Path) -> str:
    payload = {
        "feature_code_version": FEATURE_CODE_VERSION,
        "manifest": manifest_digest(manifest),
        "params": params.as_dict(),
        "data_dir": str(Path(data_dir).resolve()),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def prepare_dataset(
    dataset: str = "embedded",
    data_dir: Path | None = None,
    *,
    archive: Path | None = None,
    cache_root: Path = DEFAULT_CACHE,
    progress: bool = True,
    params: FeatureParams | None = None,
) -> FeatureSet:
    """Verify a dataset and return its cached features (``params``: the course's log-mel at the
    manifest's nominal duration); raises DatasetError with the report."""
    manifest, data_dir, fix = _locate(dataset, data_dir, Path(cache_root), progress)
    return prepare_manifest(
        manifest, data_dir, archive=archive, cache_root=Path(cache_root), progress=progress, fix=fix, params=params
    )


def verified_dataset(
    dataset: str = "embedded",
    data_dir: Path | None = None,
    *,
    cache_root: Path = DEFAULT_CACHE,
    progress: bool = True,
) -> Verification:
    """Verify a dataset without computing features (for those who need its audio only)."""
    manifest, data_dir, fix = _locate(dataset, data_dir, Path(cache_root), progress)
    return _verify(manifest, data_dir, None, Path(cache_root), progress, fix)


def _locate(dataset: str, data_dir: Path | None, cache_root: Path = DEFAULT_CACHE,
            progress: bool = False) -> tuple[Manifest, Path, str]:
    """The dataset's manifest, its folder and what to do when it fails verification."""
    spec = DATASETS.get(dataset)
    if spec is None:
        configs = sorted(name for name, other in DATASETS.items() if name.startswith(f"{dataset}_") and other.importer)
        hint = f" (a configuration of it: {', '.join(configs)}; with make: CONFIG=...)" if configs else ""
        raise DatasetError(f"unknown dataset {dataset!r}{hint}: use one of {', '.join(DATASETS)}")
    if spec.importer is not None:
        if data_dir is None:
            raise DatasetError(f"the {dataset} dataset is not part of the kit: {spec.fix}")
        try:
            manifest, folder = spec.importer(Path(data_dir), cache_root, progress)
        except ManifestError as error:  # the copy does not match what is published: the report
            raise DatasetError(str(error)) from None
        return manifest, folder, spec.fix
    if not spec.manifest.exists() and dataset == "embedded":
        raise DatasetError(f"the embedded corpus manifest {spec.manifest} does not exist: run `make corpus`")
    try:
        manifest = load_manifest(spec.manifest)
    except ManifestError as error:
        raise DatasetError(str(error)) from None
    if data_dir is None:
        if spec.folder is None:
            raise DatasetError(
                f"the {dataset} dataset is not part of the kit: pass the folder of your copy, "
                f"e.g. `make data DATASET={dataset} DATA_DIR=/path/to/music_speech` "
                f"(or `python -m kit data --dataset {dataset} --data-dir DIR`)"
            )
        data_dir = spec.folder
    return manifest, Path(data_dir), spec.fix


def _verify(manifest: Manifest, data_dir: Path, archive: Path | None, cache_root: Path, progress: bool,
            fix: str) -> Verification:
    """Verify against the manifest (files unchanged since the last check are not read again)."""
    data_dir = Path(data_dir).expanduser()
    record_id = hashlib.sha256(f"{manifest_digest(manifest)}\n{data_dir.resolve()}".encode()).hexdigest()
    record_path = Path(cache_root) / "features" / f"{manifest.dataset.id}-{record_id[:16]}.verified.json"
    verification = verify_dataset(manifest, data_dir, record_path=record_path, archive=archive, progress=progress)
    if not verification.ok:
        message = f"{manifest.dataset.id}: the dataset does not match its manifest.\n{verification.report()}"
        raise DatasetError(message + (f"\nWhat to do: {fix}" if fix else ""))
    return verification


def prepare_manifest(
    manifest: Manifest,
    data_dir: Path,
    *,
    archive: Path | None = None,
    cache_root: Path = DEFAULT_CACHE,
    progress: bool = True,
    fix: str = "",
    params: FeatureParams | None = None,
) -> FeatureSet:
    """:func:`prepare_dataset` for a manifest object (tests use derived manifests)."""
    started = time.perf_counter()
    if params is None:
        params = FeatureParams(duration=manifest.dataset.audio.nominal_duration)
    features_root = Path(cache_root) / "features"
    verification = _verify(manifest, data_dir, archive, Path(cache_root), progress, fix)

    effective = verification.manifest
    key = cache_key(effective, params, verification.root)
    folder = features_root / f"{effective.dataset.id}-{key[:16]}"
    entries = _entries(effective, verification)
    complete = read_json_object(folder / COMPLETE)
    computed = 0
    if not _complete_matches(complete, key, entries, folder):
        computed = _fill(folder, key, effective, params, verification, entries, complete, progress)
    if progress:
        for note in verification.notes:
            print(f"note: {note}", file=sys.stderr)
        print(
            f"{effective.dataset.id}: {len(entries)} clips verified ({verification.checked} checked, "
            f"{verification.reused} unchanged since the last check); features: {computed} computed, "
            f"{len(entries) - computed} cached; in {folder} ({time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
        )
    return FeatureSet(root=folder, manifest=effective, params=params, audio_root=verification.root)


# --- internals ----------------------------------------------------------------------


def _entries(manifest: Manifest, verification: Verification) -> list[dict]:
    entries = []
    for clip in manifest.clips:
        size, mtime_ns = verification.stats[clip.stem]
        entries.append({
            "clip": clip.stem,
            "split": clip.split,
            "label": manifest.class_id(clip),
            "file": f"{SPLIT_FOLDERS[clip.split]}/{clip.stem}.npz",
            "source": clip.path,
            "size": size,
            "mtime_ns": mtime_ns,
        })
    return entries


def _complete_matches(complete: dict | None, key: str, entries: list[dict], folder: Path) -> bool:
    if complete is None or complete.get("key") != key or complete.get("clips") != entries:
        return False
    return all((folder / entry["file"]).is_file() for entry in entries)


def _fill(folder, key, manifest, params, verification, entries, complete, progress) -> int:
    """Complete a feature folder: compute what is missing or outdated, then write COMPLETE.json."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COMPLETE).unlink(missing_ok=True)
    wanted = {entry["file"] for entry in entries}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != COMPLETE and rel not in wanted:
            path.unlink()  # half-written files (*.part) and clips no longer in the manifest
    # Sources recorded by an earlier complete run: a clip whose source changed is recomputed.
    before = {}
    if complete is not None and complete.get("key") == key and isinstance(complete.get("clips"), list):
        before = {e.get("file"): e for e in complete["clips"] if isinstance(e, dict)}
    todo = []
    for entry in entries:
        target = folder / entry["file"]
        previous = before.get(entry["file"])
        if previous is not None and previous != entry:
            todo.append(entry)
        elif not _feature_file_ok(target, entry, params):
            todo.append(entry)
    if todo:
        jobs = [(str(verification.root / e["source"]), str(folder / e["file"]), e["label"]) for e in todo]
        failures = _compute(jobs, params, progress)
        if failures:
            lines = [f"  unreadable   {Path(src).relative_to(verification.root).as_posix()}: "
                     f"expected decodable audio; found {error}" for src, error in failures]
            raise DatasetError(
                f"{manifest.dataset.id}: {len(failures)} file(s) could not be decoded:\n" + "\n".join(lines)
            )
    record = {
        "key": key,
        "dataset": manifest.dataset.id,
        "manifest_digest": manifest_digest(manifest),
        "params": params.as_dict(),
        "data_dir": str(verification.root),
        "feature_code_version": FEATURE_CODE_VERSION,
        "clips": entries,
    }
    atomic_write_text(folder / COMPLETE, json.dumps(record, indent=1))
    return len(todo)


def _feature_file_ok(path: Path, entry: dict, params: FeatureParams) -> bool:
    """An existing feature file from an unfinished run counts only if it is whole and current."""
    try:
        if path.stat().st_mtime_ns < entry["mtime_ns"]:
            return False
        from kit.data.feature_files import read_feature_file

        features, label = read_feature_file(path)
    except Exception:
        return False
    if params.kind == "waveform":
        shape_ok = features.ndim == 1 and params.n_samples in (None, features.shape[0])
    else:
        shape_ok = features.ndim == 2 and features.shape[1] == params.n_mels
        if params.n_frames is not None:
            shape_ok = shape_ok and features.shape[0] == params.n_frames
    return shape_ok and str(features.dtype) == "float32" and label == entry["label"]


def _extract_one(job: tuple[str, str, int], params: FeatureParams) -> str | None:
    """Compute and write one clip's features; returns an error message instead of raising."""
    from kit.data.feature_files import write_feature_file
    from kit.data.features import clip_features

    source, target, label = job
    try:
        features = clip_features(source, params)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    write_feature_file(target, features, label)
    return None


def _compute(jobs, params: FeatureParams, progress: bool) -> list[tuple[str, str]]:
    bar = _progress_bar(progress, len(jobs), "computing features")
    failures = []
    try:
        for job in jobs:
            error = _extract_one(job, params)
            if error is not None:
                failures.append((job[0], error))
            bar.advance()
    finally:
        bar.close()
    return failures
