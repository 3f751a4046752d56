"""Release zips (fast part): the student zip's contents against the allow-list, determinism,
the deterministic zip writer and the otter plugin's pieces. The otter runs are in
tests/test_release_otter.py (marked slow and otter)."""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kit.release import contents, otter_plugin, pins, student
from kit.release.student import ReleaseError
from kit.zipfiles import FIXED_DATE, canonical_npz, listing, read_zip, write_zip

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ex02_cnn"
DATASET = "embedded"


@pytest.fixture(scope="module")
def student_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / f"{ASSIGNMENT}-student.zip"
    return student.build_student_zip(ASSIGNMENT, DATASET, out)


# --- student zip ----------------------------------------------------------------------
def test_student_zip_matches_allow_list(student_zip):
    spec = contents.student_contents(ASSIGNMENT)
    files = read_zip(student_zip)
    names = set()
    for name in files:
        top, _, rel = name.partition("/")
        assert top == ASSIGNMENT, f"{name} is outside the {ASSIGNMENT}/ folder"
        names.add(rel)
        assert spec.is_allowed(rel) or spec.is_generated(rel), f"{name} is not in the allow-list"
        assert not contents.is_forbidden(rel), name
    assert set(spec.required) <= names
    assert "requirements.txt" in names
    assert not [n for n in names if n.endswith((".npz", ".flac", ".wav", ".json"))], "data ships in its own zip"
    # Everything in assignments/<id>/ that is allowed is shipped, byte for byte.
    for rel, path in student.assignment_files(REPO / "assignments" / ASSIGNMENT).items():
        assert files[f"{ASSIGNMENT}/{rel}"] == path.read_bytes(), rel


def test_student_zip_leaks_no_solution_grader_or_test_label(student_zip):
    files = read_zip(student_zip)
    solution_texts = {p.read_bytes() for p in (REPO / "solutions" / ASSIGNMENT).glob("*.py")}
    hidden = {p.read_bytes() for p in (REPO / "autograder" / ASSIGNMENT).rglob("*") if p.is_file()}
    for name, data in files.items():
        for marker in contents.FORBIDDEN_TEXT:
            assert marker.encode() not in data, f"{name} contains {marker}"
        assert data not in solution_texts, f"{name} is a copy of a solution"
        assert data not in hidden, f"{name} is a copy of a hidden grader file"


def test_student_requirements_agree_with_the_lock(student_zip):
    text = read_zip(student_zip)[f"{ASSIGNMENT}/requirements.txt"].decode()
    lock = set((REPO / "requirements.lock").read_text().split())
    pins = [line.strip() for line in text.splitlines() if "==" in line and not line.startswith("#")]
    assert any(line.startswith("torch==") for line in pins)
    assert all(line in lock for line in pins), pins


def test_set_up_takes_torch_from_the_same_cpu_index_as_the_release():
    makefile = (REPO / "Makefile").read_text()
    assert f"TORCH_CPU_INDEX ?= {pins.TORCH_CPU_INDEX}\n" in makefile
    assert "--index-url $(TORCH_CPU_INDEX)" in makefile


def test_requirements_pin_that_disagrees_with_the_lock_stops_the_build(tmp_path):
    repo = _fake_repo(tmp_path)
    (repo / "assignments" / ASSIGNMENT / "requirements.txt").write_text("torch==1.0.0\n")
    with pytest.raises(ReleaseError, match="torch==1.0.0"):
        student.student_files(ASSIGNMENT, DATASET, repo)


def test_student_zip_is_deterministic(student_zip, tmp_path):
    again = student.build_student_zip(ASSIGNMENT, DATASET, tmp_path / "again.zip")
    assert again.read_bytes() == student_zip.read_bytes()


def _fake_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for part in ("assignments", "solutions"):
        shutil.copytree(REPO / part / ASSIGNMENT, repo / part / ASSIGNMENT,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "requirements.lock", repo / "requirements.lock")
    (repo / "autograder" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(REPO / "autograder" / ASSIGNMENT / "config.toml", repo / "autograder" / ASSIGNMENT / "config.toml")
    manifest = student.manifest_path(DATASET)
    target = repo / manifest.relative_to(REPO)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(manifest, target)
    return repo


def test_unlisted_file_stops_the_build(tmp_path):
    repo = _fake_repo(tmp_path)
    student.student_files(ASSIGNMENT, DATASET, repo)  # the copy itself builds
    (repo / "assignments" / ASSIGNMENT / "notes.txt").write_text("my notes")
    with pytest.raises(ReleaseError, match="notes.txt"):
        student.student_files(ASSIGNMENT, DATASET, repo)


def test_solution_marker_or_stale_skeleton_stops_the_build(tmp_path):
    repo = _fake_repo(tmp_path)
    skeleton = next((repo / "assignments" / ASSIGNMENT).glob("*_student.py"))
    original = skeleton.read_text()
    skeleton.write_text(original + "\n# BEGIN SOLUTION\n")
    with pytest.raises(ReleaseError, match="BEGIN SOLUTION"):
        student.student_files(ASSIGNMENT, DATASET, repo)
    skeleton.write_text(original + "\n# edited by hand\n")
    with pytest.raises(ReleaseError, match="out of date"):
        student.student_files(ASSIGNMENT, DATASET, repo)


def test_missing_required_file_stops_the_build(tmp_path):
    repo = _fake_repo(tmp_path)
    (repo / "assignments" / ASSIGNMENT / "README.md").unlink()
    with pytest.raises(ReleaseError, match="required file missing.*README.md"):
        student.student_files(ASSIGNMENT, DATASET, repo)


def test_the_handout_states_the_threshold_of_the_release_dataset(monkeypatch):
    """A threshold calibrated on a TA's copy (`make calibrate DATASET=gtzan WRITE=1`) is what the students of that
    release read in the handout's grading table, not the embedded corpus's; without one the build stops."""
    from kit.grading.config import load_config

    config = load_config(ASSIGNMENT)
    accuracy = {**config.settings["accuracy"], "threshold": {"embedded": 0.8, "gtzan": 0.86}}
    calibrated = config.model_copy(update={"settings": {**config.settings, "accuracy": accuracy}})
    monkeypatch.setattr(student, "load_config", lambda assignment: calibrated)
    handout = student.student_files(ASSIGNMENT, "gtzan")[f"{ASSIGNMENT}/README.md"].decode()
    row = next(line for line in handout.splitlines() if line.startswith("| 4.4 |"))
    assert "accuracy threshold (0.86)" in row
    committed = (REPO / "assignments" / ASSIGNMENT / "README.md").read_text(encoding="utf-8")
    assert "accuracy threshold (0.80)" in committed and handout.replace("(0.86)", "(0.80)") == committed
    monkeypatch.undo()
    with pytest.raises(ReleaseError, match="make calibrate ASSIGNMENT=ex03_intent DATASET=italic_massive"):
        student.student_files("ex03_intent", "italic_massive")


def test_every_assignment_with_graders_has_an_allow_list():
    for config in sorted((REPO / "autograder").glob("*/config.toml")):
        contents.student_contents(config.parent.name)


# --- deterministic zips -------------------------------------------------------------------
def test_write_zip_is_sorted_dated_and_permissioned(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"b/x.txt": b"x", "a.sh": b"#!/bin/sh\n"},
                     executables=["a.sh"], directories=["tests/"])
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.sh", "b/x.txt", "tests/"]
    assert all(i.date_time == FIXED_DATE for i in infos)
    assert stat.S_IMODE(infos[0].external_attr >> 16) == 0o755
    assert stat.S_IMODE(infos[1].external_attr >> 16) == 0o644
    other = write_zip(tmp_path / "b.zip", {"a.sh": b"#!/bin/sh\n", "b/x.txt": b"x"},
                      executables=["a.sh"], directories=["tests"])
    assert other.read_bytes() == path.read_bytes()
    assert listing(other) == listing(path)


@pytest.mark.parametrize("name", ["../evil", "/abs", "a/../../b", "a\\b", ""])
def test_write_zip_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ValueError):
        write_zip(tmp_path / "x.zip", {name: b""})


def test_canonical_npz_ignores_when_it_was_written(tmp_path, monkeypatch):
    def npz(date):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, array in (("label", np.int64(1)), ("features", np.ones((3, 2), np.float32))):
                member = io.BytesIO()
                np.lib.format.write_array(member, np.asarray(array))
                archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=date), member.getvalue())
        return buffer.getvalue()

    first, second = npz((2024, 1, 2, 3, 4, 6)), npz((2025, 6, 7, 8, 9, 10))
    assert first != second
    assert canonical_npz(first) == canonical_npz(second)
    with np.load(io.BytesIO(canonical_npz(first)), allow_pickle=False) as data:
        assert data["features"].shape == (3, 2) and data["label"].shape == () and int(data["label"]) == 1


# --- otter plugin pieces ------------------------------------------------------------------
def test_quarantine_moves_student_files_out_of_the_kernel_folder(tmp_path):
    submission = tmp_path / "submission"
    (submission / "tests").mkdir(parents=True)
    for name in ("kit_entry.ipynb", "a.py", "otter.py", "__init__.py"):
        (submission / name).write_text("" if name == "__init__.py" else "x")
    (submission / "sub").mkdir()
    moved = otter_plugin.quarantine(submission, tmp_path / "q", keep={"kit_entry.ipynb", "tests"})
    assert moved == ["a.py", "otter.py", "sub"]
    assert sorted(p.name for p in submission.iterdir()) == ["kit_entry.ipynb", "tests"]
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == ["a.py", "otter.py", "sub"]


def test_engine_input_passes_a_lone_zip_as_is(tmp_path):
    (tmp_path / "upload.zip").write_bytes(b"PK")
    assert otter_plugin.engine_input(tmp_path) == tmp_path / "upload.zip"
    (tmp_path / "a.py").write_text("")
    assert otter_plugin.engine_input(tmp_path) == tmp_path


def test_engine_results_are_read_as_checked_data(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"tests": [{"name": "t", "score": "10", "max_score": 1}]}))
    with pytest.raises(ValueError, match="not a number"):
        otter_plugin.load_results(path)
    path.write_text(json.dumps({"tests": [{"name": "t", "score": 1, "max_score": 2}]}))
    assert otter_plugin.load_results(path)["score"] == 1
    path.write_text("[]")
    with pytest.raises(ValueError):
        otter_plugin.load_results(path)


def test_error_results_follow_the_gradescope_schema():
    document = otter_plugin.error_results("broken", "traceback")
    assert document["score"] == 0
    assert {t["visibility"] for t in document["tests"]} == {"visible", "hidden"}
    for test in document["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "output", "visibility"}


def _plugin_layout(tmp_path: Path, engine: list[str], timeout: float = 30):
    """An /autograder-like folder and a plugin whose engine command is ``engine``."""
    submission = tmp_path / "autograder" / "submission"
    submission.mkdir(parents=True)
    (tmp_path / "autograder" / "source").mkdir()
    (submission / "kit_entry.ipynb").write_text("{}")
    (submission / "model.py").write_text("x = 1\n")

    class Plugin(otter_plugin.KitEnginePlugin):
        def engine_command(self, source, submission, results_json):
            return [*engine, str(results_json)]

    config = {"assignment": ASSIGNMENT, "timeout": timeout}
    return Plugin(str(submission / "kit_entry.ipynb"), {}, config), submission


def test_plugin_swaps_otters_results_for_the_engines(tmp_path):
    from otter.test_files import GradingResults

    document = {"score": 2, "execution_time": 1.0, "output": "", "visibility": "visible",
                "tests": [{"name": "t", "number": "1", "score": 2, "max_score": 3, "output": "", "visibility": "visible"}]}
    write = f"import json, sys; json.dump({document!r}, open(sys.argv[1], 'w'))"
    plugin, submission = _plugin_layout(tmp_path, [sys.executable, "-c", write])
    plugin.before_grading(None)
    assert sorted(p.name for p in submission.iterdir()) == ["kit_entry.ipynb"]  # model.py moved out
    results = GradingResults([])
    plugin.after_grading(results)
    assert results.to_gradescope_dict(None) == document
    assert (results.total, results.possible) == (2, 3)


def test_plugin_stops_a_slow_engine_and_still_gives_a_result(tmp_path):
    plugin, _ = _plugin_layout(tmp_path, [sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    started = time.monotonic()
    plugin.before_grading(None)
    assert time.monotonic() - started < 30
    assert plugin.kit_results["score"] == 0
    assert "longer than 1 s" in plugin.kit_results["tests"][0]["output"]
