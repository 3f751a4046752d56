"""The students' data: ``dist/<id>-data/<data_name>.zip``, named as the course names it (``[release]
data_name`` in config.toml: ``music_speech_subset`` for ex01 and ex02, ``italic_mini`` for ex03).

One top folder, ``<data_name>/``::

    README.md                             what this is, where it comes from, its licence
    manifest.json                         the public splits (train, val, test) with labels;
                                          paths relative to this folder
    training/<label>/<clip file>          the audio, as the dataset has it (FLAC for the
    validation/...  testing/...           embedded corpus, WAV for GTZAN)   [student_data: audio]
    features/training/<clip>.npz ...      the official features (the kit's own cache)
                                          [student_data: features; ex02 only: in ex01 they
                                          are what students compute]

The ``holdout`` split never enters it: not its audio, features, names or labels
(``Manifest.public``). The audio comes from the verified dataset (``verified_dataset``, or
``prepare_dataset`` when the features ship too): the
embedded corpus, or with ``--dataset gtzan --data-dir`` the TA's copy. Built
deterministically like the other zips.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from kit.data.manifest import PUBLIC_SPLITS, SPLIT_FOLDERS, manifest_json
from kit.paths import REPO
from kit.release import contents
from kit.release.student import ReleaseError
from kit.zipfiles import write_zip


README = """# {title}: the course's subset

The clips of the training, validation and testing splits, with their labels in
`manifest.json` (the format of exercise 1: paths are relative to this folder).
{features}
Source: {source}

Licence: {licence}
"""
FEATURES_NOTE = """
`features/` holds the official log-mel features of the same clips (one `.npz` per clip:
`features` float32 (T, 40), `label` int64; {labels}), so that this exercise works
even when your exercise-1 code does not yet.
"""


def student_data_files(
    assignment: str, dataset: str, repo: Path = REPO, data_dir: Path | None = None, progress: bool = False
) -> dict[str, bytes]:
    """{archive name: content} of ``music_speech_subset.zip``; empty when the assignment ships no data."""
    from kit.data.cache import DatasetError, prepare_dataset, verified_dataset

    release = contents.student_contents(assignment, repo)
    wanted, top = release.student_data, release.data_name
    if not wanted:
        return {}
    dataset = contents.data_source(assignment, dataset, repo)
    try:
        # Features are computed (or read from the cache) only when they ship.
        if "features" in wanted:
            features = prepare_dataset(dataset, data_dir, progress=progress)
            manifest, audio_root = features.manifest, features.audio_root
        else:
            verification = verified_dataset(dataset, data_dir, progress=progress)
            manifest, audio_root = verification.manifest, verification.root
    except DatasetError as error:
        raise ReleaseError(f"cannot ship the {dataset} data:\n{error}") from None
    public = manifest.public()
    files: dict[str, bytes] = {}
    clips = []
    for clip in public.clips:
        name = f"{SPLIT_FOLDERS[clip.split]}/{clip.label}/{PurePosixPath(clip.path).name}"
        if "audio" in wanted:
            files[f"{top}/{name}"] = (audio_root / clip.path).read_bytes()
        clips.append(clip.model_copy(update={"path": name}))
    files[f"{top}/manifest.json"] = manifest_json(public.model_copy(update={"clips": clips})).encode()
    if "features" in wanted:
        for split in PUBLIC_SPLITS:
            for path in features.files(split):
                files[f"{top}/features/{SPLIT_FOLDERS[split]}/{path.name}"] = path.read_bytes()
    info = public.dataset
    attribution = audio_root / "ATTRIBUTION.md"
    if attribution.is_file():  # the embedded corpus names every source it was built from
        files[f"{top}/ATTRIBUTION.md"] = attribution.read_bytes()
    files[f"{top}/README.md"] = README.format(
        title=info.title, source=info.source, licence=info.licence,
        features=FEATURES_NOTE.format(labels=", ".join(f"{i} = {name}" for i, name in enumerate(info.labels)))
        if "features" in wanted else "").encode()
    return files


def build_student_data_zip(
    assignment: str, dataset: str, out: Path, repo: Path = REPO, data_dir: Path | None = None
) -> Path | None:
    files = student_data_files(assignment, dataset, repo, data_dir)
    return write_zip(out, files) if files else None


def data_zip_name(assignment: str, repo: Path = REPO) -> str:
    return f"{contents.student_contents(assignment, repo).data_name}.zip"
