"""The real ITALIC on a TA's disk (data_manifests/importers/italic.py): both layouts, each configuration, every
mismatch reported by name, and the grading split drawn from voices no student split has.

The trees are small fakes in ITALIC's layouts that these tests write (the real ITALIC is gated
and not reachable here): the Zenodo release (recordings/ + <config>_<split>.json, one JSON
object per line) and a `datasets` copy written with save_to_disk (Arrow stream files with the
audio embedded, or pointing at files the Hub cache extracted).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kit.data import cache
from kit.data.cache import DATASETS, DatasetError, class_names, importer, prepare_dataset, resolve_dataset
from kit.paths import REPO

italic = importer("italic")  # data_manifests/importers/italic.py

INTENTS = ["alarm_set", "play_music", "weather_query"]
# ITALIC split -> speakers; hard_speaker's splits share no speaker (as the published configuration).
SPEAKERS = {"train": ["s01", "s02", "s03"], "validation": ["s04"], "test": ["s05", "s06", "s07", "s08"]}
PER_SPEAKER_AND_INTENT = 2


def _facts(config: str, counts: dict[str, int] | None) -> italic.Facts:
    published = italic.load_facts()
    return published.model_copy(update={"intents": INTENTS, "configs": {config: counts}})


def _utterances(config: str):
    n = 0
    for split, speakers in SPEAKERS.items():
        for speaker in speakers:
            for intent in INTENTS:
                for _ in range(PER_SPEAKER_AND_INTENT):
                    n += 1
                    yield {"id": f"{config[:2]}{n:05d}", "speaker_id": speaker, "intent": intent, "split": split,
                           "utt": "sveglia alle sette", "environment": "silent", "device": "phone"}


def _wav(seed: int, seconds: float = 0.6) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    soundfile.write(buffer, (0.1 * rng.standard_normal(int(16000 * seconds))).astype(np.float32), 16000,
                    format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def write_zenodo(root: Path, config: str) -> list[dict]:
    """The Zenodo release of one configuration: recordings/<id>.wav and <config>_<split>.json."""
    records = list(_utterances(config))
    (root / "recordings").mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(records):
        (root / "recordings" / f"{record['id']}.wav").write_bytes(_wav(i))
    for split in italic.ITALIC_SPLITS:
        lines = [json.dumps({k: v for k, v in r.items() if k != "split"}) for r in records if r["split"] == split]
        (root / f"{config}_{split}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "README.md").write_text("ITALIC\n", encoding="utf-8")
    return records


def write_saved(root: Path, config: str, embed: bool, extracted: Path | None = None) -> list[dict]:
    """What DatasetDict.save_to_disk writes: Arrow stream files, the intent a ClassLabel id, the
    audio a struct of bytes (embedded) or of the path of a file the Hub cache extracted."""
    import pyarrow as pa

    records = list(_utterances(config))
    features = {"id": {"dtype": "string", "_type": "Value"}, "speaker_id": {"dtype": "string", "_type": "Value"},
                "intent": {"names": INTENTS, "_type": "ClassLabel"}, "audio": {"sampling_rate": 16000, "_type": "Audio"}}
    schema = pa.schema([("id", pa.string()), ("speaker_id", pa.string()), ("intent", pa.int64()),
                        ("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))],
                       metadata={"huggingface": json.dumps({"info": {"features": features}})})
    (root / "dataset_dict.json").parent.mkdir(parents=True, exist_ok=True)
    (root / "dataset_dict.json").write_text(json.dumps({"splits": list(italic.ITALIC_SPLITS)}))
    for split in italic.ITALIC_SPLITS:
        rows = [(i, r) for i, r in enumerate(records) if r["split"] == split]
        audio = []
        for i, r in rows:
            if embed:
                audio.append({"bytes": _wav(i), "path": f"{r['id']}.wav"})
            else:
                path = extracted / f"{r['id']}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_wav(i))
                audio.append({"bytes": None, "path": str(path)})
        table = pa.table({"id": [r["id"] for _, r in rows], "speaker_id": [r["speaker_id"] for _, r in rows],
                          "intent": [INTENTS.index(r["intent"]) for _, r in rows], "audio": audio}, schema=schema)
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, schema) as writer:
                for batch in table.to_batches(max_chunksize=7):  # several batches, as datasets writes them
                    writer.write_batch(batch)
        (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}],
                                                       "_split": split}))
        (folder / "dataset_info.json").write_text(json.dumps({"config_name": config, "features": features}))
    return records


def _expected_splits(records: list[dict], facts: italic.Facts) -> dict[str, str]:
    """id -> the kit split the import must give it (the holdout: the drawn half of the test speakers)."""
    utterances = [italic.Utterance(r["id"], r["split"], r["intent"], r["speaker_id"], None) for r in records]
    held = italic.holdout_speakers(utterances, facts)
    return {r["id"]: "holdout" if r["split"] == "test" and r["speaker_id"] in held else italic.KIT_SPLIT[r["split"]]
            for r in records}


@pytest.mark.parametrize("layout", ["zenodo", "saved_embedded", "saved_hub_cache"])
def test_each_layout_becomes_the_same_kit_dataset(layout, tmp_path):
    config = "hard_speaker"
    facts = _facts(config, None)
    copy = tmp_path / "ITALIC"
    if layout == "zenodo":
        records = write_zenodo(copy, config)
    else:
        records = write_saved(copy / config, config, embed=layout == "saved_embedded",
                              extracted=tmp_path / "hub-cache" / "extracted")
    manifest, folder = italic.import_dataset(copy, config, tmp_path / "cache", progress=False, facts=facts)

    assert manifest.dataset.labels == INTENTS
    expected = _expected_splits(records, facts)
    assert {clip.stem: clip.split for clip in manifest.clips} == expected
    assert {clip.stem: clip.label for clip in manifest.clips} == {r["id"]: r["intent"] for r in records}
    speakers = {r["id"]: r["speaker_id"] for r in records}
    by_split = {split: {speakers[c.stem] for c in manifest.split(split)} for split in ("train", "val", "test", "holdout")}
    assert by_split["holdout"] and by_split["test"], "the test speakers are divided between test and holdout"
    assert not by_split["holdout"] & (by_split["train"] | by_split["val"] | by_split["test"]), \
        "the holdout's voices are in no student split"
    for clip in manifest.clips:  # each kit file is the utterance's audio
        index = next(i for i, r in enumerate(records) if r["id"] == clip.stem)
        assert (folder / clip.path).read_bytes() == _wav(index)


def test_the_counts_published_for_massive_are_checked_and_named(tmp_path):
    copy = tmp_path / "ITALIC"
    write_zenodo(copy, "massive")
    published = italic.load_facts()
    facts = published.model_copy(update={"intents": INTENTS})
    with pytest.raises(italic.ItalicError) as raised:
        italic.import_dataset(copy, "massive", tmp_path / "cache", progress=False, facts=facts)
    report = str(raised.value)
    n = {split: len(speakers) * len(INTENTS) * PER_SPEAKER_AND_INTENT for split, speakers in SPEAKERS.items()}
    for split, expected in published.configs["massive"].items():
        assert f"massive {split}: expected {expected} utterances (published); found {n[split]}" in report
    assert "What to do" in report and "data_manifests/published/italic.json" in report


def test_every_difference_is_reported_by_name(tmp_path):
    config = "hard_noisy"
    copy = tmp_path / "ITALIC"
    records = write_zenodo(copy, config)
    gone = records[3]["id"]
    (copy / "recordings" / f"{gone}.wav").unlink()
    test_lines = (copy / f"{config}_test.json").read_text().splitlines()
    odd = json.loads(test_lines[0])
    odd["intent"] = "make_coffee"
    (copy / f"{config}_test.json").write_text("\n".join([json.dumps(odd), *test_lines[1:]]) + "\n")
    (copy / f"{config}_validation.json").unlink()
    with pytest.raises(italic.ItalicError) as raised:
        italic.import_dataset(copy, config, tmp_path / "cache", progress=False, facts=_facts(config, None))
    report = str(raised.value)
    assert f"recordings/{gone}.wav" in report
    assert "intent 'make_coffee' (1 utterances)" in report
    assert f"{config}_validation.json" in report


def test_a_copy_of_another_configuration_is_named(tmp_path):
    copy = tmp_path / "saved"
    write_saved(copy, "massive", embed=True)
    with pytest.raises(italic.ItalicError, match="expected configuration hard_speaker; found massive"):
        italic.import_dataset(copy, "hard_speaker", tmp_path / "cache", progress=False,
                             facts=_facts("hard_speaker", None))


def test_hub_cache_files_that_are_gone_are_missing_not_skipped(tmp_path):
    copy, extracted = tmp_path / "saved", tmp_path / "extracted"
    records = write_saved(copy, "hard_speaker", embed=False, extracted=extracted)
    (extracted / f"{records[0]['id']}.wav").unlink()
    with pytest.raises(italic.ItalicError, match=f"missing .*{records[0]['id']}.wav"):
        italic.import_dataset(copy, "hard_speaker", tmp_path / "cache", progress=False,
                             facts=_facts("hard_speaker", None))


def test_make_data_verifies_the_copy_and_caches_both_inputs(tmp_path, monkeypatch, capsys):
    """`make data ASSIGNMENT=ex03_intent DATASET=italic CONFIG=hard_speaker DATA_DIR=...` (the fake tree has
    3 intents: the published facts are swapped for the fake's)."""
    from kit.data import cli

    config = "hard_speaker"
    copy = tmp_path / "ITALIC"
    write_zenodo(copy, config)
    make = subprocess.run(["make", "-n", "--no-print-directory", "data", "ASSIGNMENT=ex03_intent", "DATASET=italic",
                           f"CONFIG={config}", f"DATA_DIR={copy}"], cwd=REPO, capture_output=True, text=True)
    command = next(line for line in make.stdout.splitlines() if " data " in line)
    assert f"--assignment ex03_intent --dataset italic_{config} --data-dir \"{copy}\"" in command
    fake_facts = _facts(config, None)
    monkeypatch.setattr(italic, "load_facts", lambda path=None: fake_facts)
    args = argparse.Namespace(dataset=f"italic_{config}", data_dir=copy, archive=None, assignment="ex03_intent",
                              cache_dir=tmp_path / "cache", quiet=False)
    assert cli.run(args) == 0
    printed = capsys.readouterr()
    n = sum(len(s) for s in SPEAKERS.values()) * len(INTENTS) * PER_SPEAKER_AND_INTENT
    assert f"italic_{config}: {n} clips verified" in printed.err
    folders = dict(line.split(": ", 1) for line in printed.out.splitlines())
    assert sorted(folders) == ["log_mel", "waveform"]  # ex03's two inputs, one feature folder each
    shapes = {name: np.load(next(Path(folder, "holdout").glob("*.npz")), allow_pickle=False)["features"].shape
              for name, folder in folders.items()}
    assert shapes == {"log_mel": (251, 40), "waveform": (64000,)}

    gone = next(copy.joinpath("recordings").glob("*.wav"))
    gone.unlink()
    assert cli.run(args) == 1, "a copy that changed is checked again"
    assert gone.stem in capsys.readouterr().err


def test_the_configurations_are_datasets_of_their_own():
    for config in ("massive", "hard_speaker", "hard_noisy"):
        spec = DATASETS[f"italic_{config}"]
        assert spec.importer is not None and spec.folder is None
        assert class_names(f"italic_{config}") == italic.load_facts().intents
    assert len(italic.load_facts().intents) == 60
    assert tuple(italic.load_facts().configs) == italic.CONFIGS
    with pytest.raises(DatasetError, match="italic_massive"):
        prepare_dataset("italic")  # the family name alone asks for a configuration
    with pytest.raises(DatasetError, match="DATA_DIR"):
        prepare_dataset("italic_massive")
    # What every CLI does with --dataset (make passes DATASET=italic without CONFIG through): its first configuration.
    assert resolve_dataset("italic") == "italic_massive"
    assert resolve_dataset("italic_hard_noisy") == "italic_hard_noisy" and resolve_dataset("gtzan") == "gtzan"


def test_a_new_importer_is_a_file_in_data_manifests_not_a_change_in_the_kit(tmp_path, monkeypatch):
    (tmp_path / "toy.py").write_text(
        "from pathlib import Path\n"
        "CONFIGS = ('small', 'large')\n"
        "FACTS_PATH = Path(__file__)\n"
        "DATA_DIR_HINT = 'pass the folder of your toy copy'\n"
        "def class_names():\n    return ['yes', 'no']\n"
        "def import_dataset(data_dir, config, cache_root, progress=True):\n"
        "    raise RuntimeError(f'toy {config} from {data_dir}')\n")
    (tmp_path / "_helpers.py").write_text("raise ImportError('a private module is not an importer')\n")
    monkeypatch.setattr(cache, "IMPORTERS", tmp_path)
    specs = cache._imported_specs()
    assert sorted(specs) == ["toy_large", "toy_small"]
    assert specs["toy_small"].labels() == ["yes", "no"] and specs["toy_small"].fix == "pass the folder of your toy copy"
    with pytest.raises(RuntimeError, match=f"toy large from {tmp_path}"):
        specs["toy_large"].importer(tmp_path, tmp_path / "cache", False)
    assert resolve_dataset("toy") == "toy_small"
