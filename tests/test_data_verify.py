"""Verification: every missing, extra, unreadable or mismatched file is reported by name."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.data.cache import DatasetError, prepare_dataset
from kit.data.manifest import SPLIT_FOLDERS
from kit.data.verify import verify_dataset
from data_helpers import build_original, build_pre_split, fake_flac_dataset, fake_gtzan_manifest, write_wav

MANIFEST = fake_gtzan_manifest(per_split=1)  # 6 clips of 0.5 s, from the real GTZAN manifest
MUSIC = [c for c in MANIFEST.clips if c.label == "music"]
SPEECH = [c for c in MANIFEST.clips if c.label == "speech"]


@pytest.fixture(scope="module")
def original_template(tmp_path_factory):
    return build_original(tmp_path_factory.mktemp("gtzan") / "music_speech", MANIFEST)


@pytest.fixture
def original(original_template, tmp_path):
    """A fresh copy of the original layout (music_speech/music_wav, music_speech/speech_wav)."""
    return Path(shutil.copytree(original_template, tmp_path / "music_speech"))


def problems(v):
    return sorted((p.kind, p.name) for p in v.problems)


def test_original_layout_ok(original):
    v = verify_dataset(MANIFEST, original)
    assert v.ok, v.report()
    assert v.layout == "manifest" and v.root == original.resolve()
    assert v.manifest == MANIFEST  # nothing moved: the manifest is used as it is


def test_folder_one_level_down(original):
    v = verify_dataset(MANIFEST, original.parent)
    assert v.ok and v.root == original.resolve()
    assert any("one folder below" in note for note in v.notes)


def test_archive_second_copy_is_ignored_and_class_folder_copy_used(original):
    clip = MUSIC[0]
    shutil.copy(original / clip.path, original.parent / "x.wav")
    (original / "music").mkdir()
    shutil.copy(original / clip.path, original / "music" / Path(clip.path).name)
    v = verify_dataset(MANIFEST, original)
    assert v.ok, v.report()
    assert any("second copies" in note for note in v.notes)
    (original / clip.path).unlink()  # only the copy in music/ is left: it is used
    v = verify_dataset(MANIFEST, original)
    assert v.ok, v.report()
    assert v.files[clip.stem] == original / "music" / Path(clip.path).name


def test_missing_extra_and_corrupted_files_all_reported(original):
    music, speech = MUSIC[0], SPEECH[-1]
    (original / music.path).unlink()
    (original / speech.path).write_bytes(b"RIFF\x00\x00garbage" * 10)
    write_wav(original / "music_wav" / "stranger.wav")
    (original / "README.txt").write_text("notes")
    v = verify_dataset(MANIFEST, original)
    assert problems(v) == [("extra", "music_wav/stranger.wav"), ("missing", music.path), ("unreadable", speech.path)]
    report = v.report()
    for name in (music.path, speech.path, "music_wav/stranger.wav"):
        assert name in report
    assert "README.txt" in report  # non-audio files are listed, not skipped silently


@pytest.mark.parametrize(
    "kwargs, expected, found",
    [
        ({"sr": 44100}, "sample rate 22050 Hz", "44100 Hz"),
        ({"channels": 2}, "1 channel(s)", "2"),
        ({"subtype": "PCM_24"}, "16-bit samples", "PCM_24"),
        ({"seconds": 0.8}, "duration 0.5 s +- 0.05 s", "0.800 s"),
        ({"fmt": "FLAC"}, "container WAV", "FLAC"),
    ],
)
def test_format_mismatch(original, kwargs, expected, found):
    clip = MANIFEST.clips[2]
    write_wav(original / clip.path, **{"seconds": clip.duration, **kwargs})
    v = verify_dataset(MANIFEST, original)
    assert [(p.kind, p.name, p.expected, p.found) for p in v.problems] == [("mismatch", clip.path, expected, found)]


def test_wrong_class_folder_in_original_layout(original):
    music = MUSIC[0]
    name = Path(music.path).name
    shutil.move(original / music.path, original / "speech_wav" / name)
    v = verify_dataset(MANIFEST, original)
    assert problems(v) == [("wrong folder", f"speech_wav/{name}")]  # not also reported as missing
    assert "a music clip" in v.report() and "speech folder" in v.report()


def test_pre_split_layout_uses_the_folders_split(tmp_path):
    moved = MANIFEST.clips[0]
    assert moved.split == "train"
    root = build_pre_split(tmp_path / "subset", MANIFEST, moves={moved.stem: "test"})
    v = verify_dataset(MANIFEST, root)
    assert v.ok, v.report()
    assert v.layout == "pre-split"
    assert {c.stem: c.split for c in v.manifest.clips}[moved.stem] == "test"
    assert sum(c.split != m.split for c, m in zip(v.manifest.clips, MANIFEST.clips)) == 1
    assert any("pre-split" in note and "1 clip(s) differ" in note for note in v.notes)
    for clip in v.manifest.clips:  # effective paths point at the files as found
        assert (root / clip.path).is_file() and clip.path.split("/")[0] == SPLIT_FOLDERS[clip.split]


def test_pre_split_problems(tmp_path):
    root = build_pre_split(tmp_path / "subset", MANIFEST)
    music, speech = MUSIC[0], SPEECH[-1]
    first = next(root.rglob(Path(music.path).name))
    shutil.copy(first, root / "validation" / Path(music.path).name)  # the same clip twice
    (root / "testing" / "music_wav").mkdir(parents=True, exist_ok=True)
    shutil.move(next(root.rglob(Path(speech.path).name)), root / "testing" / "music_wav" / Path(speech.path).name)
    write_wav(root / "training" / "new_clip.wav")
    write_wav(root / "loose.wav")
    v = verify_dataset(MANIFEST, root)
    assert problems(v) == [
        ("duplicate", f"validation/{Path(music.path).name}"),
        ("extra", "loose.wav"),
        ("extra", "training/new_clip.wav"),
        ("wrong folder", f"testing/music_wav/{Path(speech.path).name}"),
    ]


def test_sha256_mismatch_and_record_reuse(tmp_path):
    root = tmp_path / "flac"
    manifest = fake_flac_dataset(root)
    record = tmp_path / "record.json"
    first = verify_dataset(manifest, root, record_path=record)
    assert first.ok and first.checked == len(manifest.clips) and first.reused == 0
    second = verify_dataset(manifest, root, record_path=record)
    assert second.ok and second.checked == 0 and second.reused == len(manifest.clips)
    # Corrupt one byte inside the audio data: same size, header intact, new mtime.
    clip = manifest.clips[1]
    data = bytearray((root / clip.path).read_bytes())
    data[-10] ^= 0xFF
    (root / clip.path).write_bytes(bytes(data))
    third = verify_dataset(manifest, root, record_path=record)
    assert third.checked == 1 and third.reused == len(manifest.clips) - 1
    assert [(p.kind, p.name) for p in third.problems] == [("mismatch", clip.path)]
    assert "sha256" in third.problems[0].expected


def test_archive_hash(original, tmp_path):
    archive = tmp_path / "music_speech.tar.gz"
    archive.write_bytes(b"not the real archive")
    import hashlib

    good = MANIFEST.dataset.archive.model_copy(update={"size": archive.stat().st_size,
                                                        "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()})
    ok_manifest = MANIFEST.model_copy(update={"dataset": MANIFEST.dataset.model_copy(update={"archive": good})})
    assert verify_dataset(ok_manifest, original, archive=archive).ok
    v = verify_dataset(MANIFEST, original, archive=archive)  # the real published size and hash
    assert [(p.kind, p.expected) for p in v.problems] == [("archive", "297055930 bytes")]


def test_gtzan_needs_a_data_dir():
    with pytest.raises(DatasetError, match="DATA_DIR="):
        prepare_dataset("gtzan", progress=False)


def test_cli_reports_everything_and_exits_nonzero(tmp_path):
    """The real 128-clip manifest against a folder with one clip: 127 missing, all named."""
    real_clip = "music_wav/bagpipe.wav"
    write_wav(tmp_path / "music_speech" / real_clip, 30.0)
    result = subprocess.run(
        [sys.executable, "-m", "kit", "data", "--dataset", "gtzan", "--data-dir", str(tmp_path),
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 1
    assert "127 missing" in result.stderr
    assert "speech_wav/voices.wav" in result.stderr and f"missing      {real_clip}" not in result.stderr
    assert "re-extract music_speech.tar.gz" in result.stderr
    assert result.stderr.count("  missing ") == 127
