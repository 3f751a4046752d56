"""The student's whole path, from the release zips alone (issue 9).

The student zips and ``music_speech_subset.zip`` are unzipped into a temporary folder, the
reference solution goes in under a student's name, and everything runs from that folder as a
student runs it: a plain ``python`` with the folder as working directory and nothing of the
repository on ``sys.path``. Also: no holdout clip reaches a student artefact, by name or by
content, and the shipped features are the kit's own.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kit.data.cache import prepare_dataset
from kit.data.manifest import HOLDOUT, PUBLIC_SPLITS, SPLIT_FOLDERS, parse_manifest
from kit.grading.config import load_config
from kit.grading.edits import as_student
from kit.release.student import build_student_zip
from kit.release.student_data import build_student_data_zip

TOP = load_config("ex02_cnn").release.data_name  # the data folder of ex01 and ex02's zip

REPO = Path(__file__).resolve().parents[1]
NAME = "maria"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """{assignment: (student zip, data zip)} built for the embedded corpus."""
    out = tmp_path_factory.mktemp("dist")
    built = {}
    for assignment in ("ex01_features", "ex02_cnn"):
        student = build_student_zip(assignment, "embedded", out / f"{assignment}-student.zip")
        data = build_student_data_zip(assignment, "embedded", out / f"{assignment}-data" / "music_speech_subset.zip")
        built[assignment] = (student, data)
    return built


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def test_no_holdout_clip_reaches_a_student_artefact(release):
    features = prepare_dataset("embedded", progress=False)
    holdout = features.manifest.split(HOLDOUT)
    assert len(holdout) >= 40
    names = {clip.stem for clip in holdout}
    hashes = {hashlib.sha256((features.audio_root / clip.path).read_bytes()).hexdigest() for clip in holdout}
    hashes |= {hashlib.sha256(path.read_bytes()).hexdigest() for path in features.files(HOLDOUT)}
    arrays = [np.load(path, allow_pickle=False)["features"] for path in features.files(HOLDOUT)]
    mention = re.compile("|".join(rf"\b{re.escape(stem)}\b" for stem in names))
    for assignment, zips in release.items():
        for path in zips:
            for name, data in _entries(path).items():
                assert not mention.search(name), f"{path.name}: {name} names a holdout clip"
                assert hashlib.sha256(data).hexdigest() not in hashes, f"{path.name}: {name} is a holdout file"
                if name.endswith((".json", ".md", ".py", ".txt", ".csv")):
                    assert not mention.search(data.decode("utf-8", "replace")), f"{name} mentions a holdout clip"
                if name.endswith(".npz"):
                    shipped = np.load(io.BytesIO(data), allow_pickle=False)["features"]
                    assert not any(np.array_equal(shipped, a) for a in arrays), f"{name} holds holdout features"
        manifest_name = f"{TOP}/manifest.json"
        shipped = parse_manifest(json.loads(_entries(zips[1])[manifest_name]), manifest_name)
        assert not shipped.split(HOLDOUT)
        for split in PUBLIC_SPLITS:  # every public clip, with its label
            assert sorted((c.stem, c.label) for c in shipped.split(split)) == \
                sorted((c.stem, c.label) for c in features.manifest.split(split))


def test_shipped_features_are_the_kits_own_and_ex01_ships_none(release):
    features = prepare_dataset("embedded", progress=False)
    shipped = {name: data for name, data in _entries(release["ex02_cnn"][1]).items() if name.endswith(".npz")}
    expected = {f"{TOP}/features/{SPLIT_FOLDERS[split]}/{path.name}": path.read_bytes()
                for split in PUBLIC_SPLITS for path in features.files(split)}
    assert shipped == expected
    assert not [name for name in _entries(release["ex01_features"][1]) if name.endswith(".npz")], \
        "ex01's students compute the features: its data zip must not hold them"
    audio = [name for name in _entries(release["ex01_features"][1]) if name.endswith(".flac")]
    assert len(audio) == sum(len(features.manifest.split(split)) for split in PUBLIC_SPLITS)


def _unpack(zips, folder: Path) -> Path:
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
    return folder


def _solution_as_student(assignment: str, target: Path) -> None:
    """The reference solution's files under a student's name, imports renamed as the handout asks."""
    for path in (REPO / "solutions" / assignment).glob("*_student.py"):
        text = as_student(path.read_text(encoding="utf-8"), NAME)
        (target / as_student(path.name, NAME)).write_text(text, encoding="utf-8")
        (target / path.name).unlink()  # the skeleton the student replaced


def _run(args, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    # A student's shell: no PYTHONPATH, the working folder is the unzipped release.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_the_whole_student_path_from_the_release_zips(release, tmp_path):
    # Exercise 1: extract the shipped audio with the student's code.
    ex01 = _unpack(release["ex01_features"], tmp_path / "ex01")
    (ex01 / TOP).rename(ex01 / "data")  # wherever a student unzips it
    home = ex01 / "ex01_features"
    _solution_as_student("ex01_features", home)
    paths = _run(["-c", "import json, sys; print(json.dumps([sys.prefix, *sys.path]))"], home, 60)
    prefix, *entries = json.loads(paths.stdout)
    # A relative entry (or a path hook such as an editable install's finder) is relative to the
    # student's working folder; only the interpreter's own prefix may lie inside the repository.
    ours = [e for e in entries if (home / e).resolve().is_relative_to(REPO) and not Path(e).is_relative_to(prefix)]
    assert not ours, f"the repository is on a student's sys.path: {ours}"
    checks = _run(["self_check.py"], home, 300)
    assert checks.returncode == 0 and " 0 failed" in checks.stdout, checks.stdout + checks.stderr
    extract = _run([f"feature_extraction_{NAME}.py", "../data", "../data/manifest.json", "../my_features"], home, 300)
    assert extract.returncode == 0, extract.stdout + extract.stderr

    # Exercise 2: self-checks, then train on the features the student just made.
    ex02 = _unpack(release["ex02_cnn"], tmp_path / "ex02")
    home = ex02 / "ex02_cnn"
    _solution_as_student("ex02_cnn", home)
    official = sorted((ex02 / TOP / "features").rglob("*.npz"))
    made = sorted((ex01 / "my_features").rglob("*.npz"))
    assert [p.relative_to(ex02 / TOP / "features") for p in official] == [p.relative_to(ex01 / "my_features") for p in made]
    for ours, theirs in zip(official, made):
        with np.load(ours) as a, np.load(theirs) as b:
            np.testing.assert_allclose(b["features"], a["features"], atol=1e-4, err_msg=str(theirs))
            assert int(b["label"]) == int(a["label"])
    checks = _run(["self_check.py"], home, 300)
    assert checks.returncode == 0 and " 0 failed" in checks.stdout, checks.stdout + checks.stderr
    # Loaders with worker processes, as the course's template builds them, pass the self-check too.
    dataset = home / f"dataset_class_{NAME}.py"
    text = dataset.read_text(encoding="utf-8")
    assert text.count("shuffle=True)") == 1 and text.count("shuffle=False)") == 2, "the reference's loaders changed"
    dataset.write_text(text.replace("shuffle=True)", "shuffle=True, num_workers=2, persistent_workers=True)")
                       .replace("shuffle=False)", "shuffle=False, num_workers=2)"), encoding="utf-8")
    checks = _run(["self_check.py"], home, 300)
    assert checks.returncode == 0 and " 0 failed" in checks.stdout, checks.stdout + checks.stderr
    dataset.write_text(text, encoding="utf-8")
    example = _run(["dnn_pytorch_example.py"], home, 120)
    assert example.returncode == 0 and "epoch 20" in example.stdout, example.stdout + example.stderr
    training = _run([f"training_{NAME}.py", str(ex01 / "my_features")], home, 600)
    assert training.returncode == 0, training.stdout + training.stderr
    accuracy = float(re.findall(r"test accuracy: ([0-9.]+)", training.stdout)[-1])
    threshold = load_config("ex02_cnn").settings["accuracy"]["threshold"]["embedded"]
    assert accuracy >= threshold, training.stdout


def test_part_2_example_is_the_handouts_dnn_and_learns():
    path = REPO / "assignments" / "ex02_cnn" / "dnn_pytorch_example.py"
    text = path.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("dnn_pytorch_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import torch

    model = module.MyDNN()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in (linear[0], linear[-1])] == [(2, linear[1].in_features), (linear[1].out_features, 2)]
    assert len(linear) == 3 and any(isinstance(m, torch.nn.Dropout) for m in model.modules())
    assert model(torch.rand(5, 2)).shape == (5, 2)
    # The device lines are there, commented out, for students to uncomment.
    assert len(re.findall(r"^\s*# .*\.to\(device\)", text, re.MULTILINE)) >= 3
    assert 'device = "cuda" if torch.cuda.is_available() else "cpu"' in text
    losses = module.main(epochs=5)
    assert len(losses) == 5 and losses[-1] < losses[0]
