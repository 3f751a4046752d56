"""Manifests: the committed GTZAN manifest, its generator, schema errors that name the field."""

from __future__ import annotations

import json
import re

import pytest

from kit.data import manifest as schema
from kit.data.make_gtzan_manifest import build_manifest
from kit.data.manifest import ManifestError, load_manifest, manifest_digest, parse_manifest
from data_helpers import GTZAN_MANIFEST, REPO


@pytest.fixture(scope="module")
def gtzan():
    return load_manifest(GTZAN_MANIFEST)


def test_gtzan_manifest_content(gtzan):
    info = gtzan.dataset
    assert info.labels == ["speech", "music"]
    assert (info.audio.container, info.audio.sample_rate, info.audio.channels, info.audio.bit_depth) == ("WAV", 22050, 1, 16)
    assert info.audio.nominal_duration == 30.0 and info.audio.duration_tolerance == 0.5
    assert info.archive.name == "music_speech.tar.gz" and info.archive.size == 297055930
    assert info.archive.sha256 == "8753bc4129fc0a916d6efcf25dbcaf30e06b41acb44ad7c3d0b5c9d9c90ff546"
    assert len(gtzan.clips) == 128
    assert all(c.duration == 30.0 and c.sha256 is None for c in gtzan.clips)
    source = (REPO / "data_manifests/sources/gtzan_music_speech.mf").read_text().split()
    assert sorted(c.path for c in gtzan.clips) == sorted(source[0::2])
    for label in info.labels:
        counts = {s: len([c for c in gtzan.split(s) if c.label == label]) for s in ("train", "val", "test", "holdout")}
        assert counts == {"train": 32, "val": 10, "test": 10, "holdout": 12}, label


def test_generator_reproduces_committed_manifest(gtzan):
    assert build_manifest() == gtzan
    assert build_manifest(seed=1) != gtzan  # the split depends on the seed


def _data(gtzan):
    return json.loads(json.dumps(gtzan.model_dump(mode="json")))


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda d: d["clips"][3].update(split="training"), "clips[3].split"),
        (lambda d: d["dataset"]["audio"].update(sample_rate=-1), "dataset.audio.sample_rate"),
        (lambda d: d["dataset"]["audio"].update(container="MP3"), "dataset.audio.container"),
        (lambda d: d["dataset"].pop("licence"), "dataset.licence"),
        (lambda d: d["dataset"]["archive"].update(sha256="not-a-hash"), "dataset.archive.sha256"),
        (lambda d: d["clips"][5].update(colour="red"), "clips[5].colour"),
        (lambda d: d["clips"][7].update(path="../escape.wav"), "clips[7].path"),
        (lambda d: d["clips"][9].update(label="noise"), "clips[9].label"),
        (lambda d: d.update(schema_version=2), "schema_version"),
    ],
)
def test_schema_errors_name_the_field(gtzan, tmp_path, edit, field):
    data = _data(gtzan)
    edit(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError) as error:
        load_manifest(path)
    assert field in str(error.value)
    assert str(path) in str(error.value)


def test_unreadable_manifest_files(tmp_path):
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifest(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(tmp_path / "bad.json")


def test_digest_follows_content_not_formatting(gtzan, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_data(gtzan), indent=7))
    assert manifest_digest(load_manifest(path)) == manifest_digest(gtzan)
    data = _data(gtzan)
    data["clips"][0]["split"] = "test"
    assert manifest_digest(parse_manifest(data)) != manifest_digest(gtzan)


def test_readme_documents_every_field():
    readme = (REPO / "data_manifests/README.md").read_text()
    for model in (schema.Manifest, schema.DatasetInfo, schema.AudioFormat, schema.Archive, schema.Clip):
        for name in model.model_fields:
            assert re.search(rf"`{name}`", readme), f"data_manifests/README.md does not document {model.__name__}.{name}"
    example = re.search(r"```json\n(.*?)```", readme, re.S)
    assert example, "README.md has no JSON example"
    parse_manifest(json.loads(example.group(1)), "README example")
