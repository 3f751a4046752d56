"""The feature cache: hits do no work, keys follow manifest/params, half-written caches are completed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kit.data import cache
from kit.data.cache import FeatureSet, cache_key, prepare_manifest
from kit.data.feature_files import read_feature_file
from kit.data.features import FeatureParams
from kit.data.manifest import SPLIT_FOLDERS, save_manifest
from data_helpers import REPO, build_original, build_pre_split, fake_gtzan_manifest, write_wav

MANIFEST = fake_gtzan_manifest(per_split=2)  # 12 clips of 0.5 s
FRAMES = FeatureParams(duration=0.5).n_frames


@pytest.fixture
def counter(monkeypatch):
    """Counts clips whose features are computed (the serial path calls cache._extract_one)."""
    calls = []
    real = cache._extract_one

    def counting(job, params):
        calls.append(Path(job[1]).name)
        return real(job, params)

    monkeypatch.setattr(cache, "_extract_one", counting)
    return calls


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_original(tmp_path_factory.mktemp("gtzan") / "music_speech", MANIFEST)


@pytest.fixture
def data(template, tmp_path):
    return Path(shutil.copytree(template, tmp_path / "music_speech"))


def prepare(data, tmp_path, **kwargs):
    return prepare_manifest(MANIFEST, data, cache_root=tmp_path / "cache", progress=False, **kwargs)


def test_feature_set_layout_and_loading(data, tmp_path, counter):
    fs = prepare(data, tmp_path)
    assert len(counter) == len(MANIFEST.clips)
    assert fs.root.parent == tmp_path / "cache" / "features"
    assert fs.root.name.startswith("gtzan_music_speech-") and len(fs.root.name.split("-")[1]) == 16
    complete = json.loads((fs.root / "COMPLETE.json").read_text())
    assert complete["key"].startswith(fs.root.name.split("-")[1])
    assert sorted(e["clip"] for e in complete["clips"]) == sorted(c.stem for c in MANIFEST.clips)
    for split, folder in SPLIT_FOLDERS.items():
        files = fs.files(split)
        assert files == sorted(files) and all(f.parent == fs.root / folder for f in files)
        x, y = fs.load_split(split)
        assert x.shape == (4, FRAMES, 40) and x.dtype == np.float32
        assert y.dtype == np.int64 and sorted(y.tolist()) == [0, 0, 1, 1]
        features, label = read_feature_file(files[0])
        assert features.shape == (FRAMES, 40) and label in (0, 1)


def test_second_prepare_does_no_work(data, tmp_path, counter):
    fs = prepare(data, tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in fs.root.rglob("*")}
    counter.clear()
    again = prepare(data, tmp_path)
    assert counter == [] and again.root == fs.root
    assert {p: p.stat().st_mtime_ns for p in again.root.rglob("*")} == stamps


def test_changed_manifest_or_params_give_a_new_key(data, tmp_path, counter):
    fs = prepare(data, tmp_path)
    root = data.resolve()
    params = FeatureParams(duration=0.5)
    key = cache_key(MANIFEST, params, root)
    assert key.startswith(fs.root.name.split("-")[1])
    assert cache_key(MANIFEST, FeatureParams(duration=0.5, n_mels=64), root) != key
    assert cache_key(MANIFEST, params, root / "elsewhere") != key
    resplit = [c.model_copy(update={"split": "test"}) if i == 0 else c for i, c in enumerate(MANIFEST.clips)]
    changed = MANIFEST.model_copy(update={"clips": resplit})
    assert cache_key(changed, params, root) != key
    counter.clear()
    other = prepare_manifest(changed, data, cache_root=tmp_path / "cache", progress=False)
    assert other.root != fs.root and len(counter) == len(MANIFEST.clips)


def test_half_written_cache_is_completed_not_trusted(data, tmp_path, counter):
    fs = prepare(data, tmp_path)
    (fs.root / "COMPLETE.json").unlink()  # the run was killed before the end
    files = [p for split in SPLIT_FOLDERS for p in fs.files(split)]
    files[0].unlink()
    files[1].write_bytes(b"half a file")
    (fs.root / "training" / "x.npz.part").write_bytes(b"")
    counter.clear()
    again = prepare(data, tmp_path)
    assert sorted(counter) == sorted([files[0].name, files[1].name])
    assert (again.root / "COMPLETE.json").is_file() and not (fs.root / "training" / "x.npz.part").exists()
    assert again.load_split("train")[0].shape == (4, FRAMES, 40)


def test_changed_source_file_is_recomputed(data, tmp_path, counter):
    fs = prepare(data, tmp_path)
    clip = MANIFEST.clips[3]
    before, _ = read_feature_file(fs.root / SPLIT_FOLDERS[clip.split] / f"{clip.stem}.npz")
    write_wav(data / clip.path, clip.duration, seed=99)  # same format, new content
    counter.clear()
    prepare(data, tmp_path)
    assert counter == [f"{clip.stem}.npz"]
    after, _ = read_feature_file(fs.root / SPLIT_FOLDERS[clip.split] / f"{clip.stem}.npz")
    assert not np.array_equal(before, after)


def test_pre_split_copy_gets_its_own_split(tmp_path, counter):
    moved = MANIFEST.clips[0]
    root = build_pre_split(tmp_path / "subset", MANIFEST, moves={moved.stem: "val"})
    fs = prepare_manifest(MANIFEST, root, cache_root=tmp_path / "cache", progress=False)
    assert isinstance(fs, FeatureSet)
    assert fs.root / "validation" / f"{moved.stem}.npz" in fs.files("val")
    assert len(fs.files("train")) == 3 and len(fs.files("val")) == 5


def test_warm_path_imports_neither_librosa_nor_numpy(data, tmp_path):
    prepare(data, tmp_path)
    manifest_path = tmp_path / "fake.json"
    save_manifest(MANIFEST, manifest_path)
    script = textwrap.dedent(f"""
        import sys
        from kit.data.cache import prepare_manifest
        from kit.data.manifest import load_manifest
        fs = prepare_manifest(load_manifest({str(manifest_path)!r}), {str(data)!r},
                              cache_root={str(tmp_path / "cache")!r}, progress=True)
        print(sorted(m for m in ("librosa", "numpy", "scipy", "soundfile") if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert "0 computed" in result.stderr and "0 checked" in result.stderr
