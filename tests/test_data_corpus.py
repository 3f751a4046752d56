"""The committed embedded corpus matches its manifest byte for byte."""

from __future__ import annotations

import os

import pytest

from kit.data.manifest import load_manifest, sha256_of_file
from kit.data.verify import verify_dataset
from data_helpers import REPO

EMBEDDED_MANIFEST = REPO / "data_manifests" / "embedded.json"
EMBEDDED = REPO / "data_manifests" / "embedded"
DOCS = {"README.md", "LICENSE", "ATTRIBUTION.md", "sources.csv"}  # written by kit/corpus/build.py beside the clips



@pytest.fixture(scope="module")
def manifest():
    return load_manifest(EMBEDDED_MANIFEST)


def test_every_flac_matches_its_sha256_and_nothing_else_is_there(manifest):
    assert manifest.dataset.audio.container == "FLAC"
    missing_hash = [c.path for c in manifest.clips if c.sha256 is None]
    assert not missing_hash, f"clips without sha256: {missing_hash[:5]}"
    on_disk = set()
    for folder, _, names in os.walk(EMBEDDED):
        for name in names:
            rel = (os.path.relpath(os.path.join(folder, name), EMBEDDED)).replace(os.sep, "/")
            if rel not in DOCS:
                on_disk.add(rel)
    listed = {c.path for c in manifest.clips}
    assert sorted(listed - on_disk) == [], "missing from data_manifests/embedded/"
    assert sorted(on_disk - listed) == [], "not in data_manifests/embedded.json"
    wrong = [c.path for c in manifest.clips if sha256_of_file(EMBEDDED / c.path) != c.sha256]
    assert wrong == [], "sha256 differs from the manifest"


def test_corpus_verifies(manifest):
    verification = verify_dataset(manifest, EMBEDDED)
    assert verification.ok, verification.report()
    assert verification.layout == "manifest"
    assert {c.split for c in manifest.clips} == {"train", "val", "test", "holdout"}
    for label in manifest.dataset.labels:  # per class: 50 / 15 / 15 / 20 (kit/corpus/build.py)
        counts = {s: len([c for c in manifest.split(s) if c.label == label]) for s in ("train", "val", "test", "holdout")}
        assert counts == {"train": 50, "val": 15, "test": 15, "holdout": 20}, label
    assert set(manifest.dataset.labels) == {c.label for c in manifest.clips}
