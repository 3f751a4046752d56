"""Finding and staging submissions: folders, zips, Moodle names, missing/duplicate/misnamed files."""

import os
import zipfile

import pytest

from kit.grading import intake
from kit.grading.examples import example_sources
from kit.grading.config import REPO, load_config

CONFIG = load_config("ex02_cnn")
MODEL = "import torch\nclass MyCNNSystem(torch.nn.Module):\n    pass\n"
TRAINING = "def train(model, train_loader, val_loader):\n    return {}\n"
DATASET = "from torch.utils.data import Dataset\nclass MyDataset(Dataset):\n    pass\n"


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("name, expected", [
    ("José Núñez_12345_assignsubmission_file_", "jose_nunez_12345"),
    ("Ada Lovelace_777_assignsubmission_file", "ada_lovelace_777"),
    ("bob.zip", "bob"),
    ("   ", "submission"),
])
def test_submission_ids(name, expected):
    assert intake.submission_id(name) == expected


def test_discovers_folders_and_zips_and_keeps_same_slug_apart(tmp_path):
    (tmp_path / "Ada Lovelace_1_assignsubmission_file_").mkdir()
    (tmp_path / "ada lovelace 1").mkdir()
    _zip(tmp_path / "bob.zip", {"my_cnn_system_bob.py": MODEL})
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".DS_Store").write_text("")
    found = dict(intake.discover(tmp_path))
    assert sorted(found) == ["ada_lovelace_1", "ada_lovelace_1_2", "bob"]


def test_stages_any_suffix_from_nested_zip_in_moodle_folder(tmp_path):
    folder = tmp_path / "Kim Lee_42_assignsubmission_file_"
    folder.mkdir()
    _zip(folder / "handin.zip", {"ex02/my_cnn_system_kim.py": MODEL, "ex02/training_kim.py": TRAINING,
                                 "ex02/dataset_class_kim.py": DATASET, "ex02/utils.py": "X = 1\n",
                                 "__MACOSX/ex02/._training_kim.py": "junk"})
    submission = intake.stage("kim_lee_42", folder, CONFIG, tmp_path / "staged")
    assert submission.problems == []
    assert submission.files == {"dataset": "dataset_class_kim.py", "model": "my_cnn_system_kim.py",
                                "training": "training_kim.py"}
    assert sorted(os.listdir(tmp_path / "staged")) == ["dataset_class_kim.py", "my_cnn_system_kim.py",
                                                       "training_kim.py", "utils.py"]


def test_reports_missing_file(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "my_cnn_system_x.py").write_text(MODEL)
    submission = intake.stage("x", tmp_path / "s", CONFIG, tmp_path / "staged")
    assert any(p.startswith("missing training_<name>.py") for p in submission.problems), submission.problems


def test_misnamed_file_is_recognised_and_graded(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "model.py").write_text(MODEL)
    (tmp_path / "s" / "training_x.py").write_text(TRAINING)
    submission = intake.stage("x", tmp_path / "s", CONFIG, tmp_path / "staged")
    assert submission.files["model"] == "my_cnn_system_x.py"
    assert any("misnamed" in p and "model.py" in p for p in submission.problems)
    # The original name stays importable for the student's own imports.
    assert (tmp_path / "staged" / "model.py").read_text() == MODEL


def test_duplicate_files_are_reported_and_newest_graded(tmp_path):
    (tmp_path / "s").mkdir()
    old, new = tmp_path / "s" / "training_x_old.py", tmp_path / "s" / "training_x.py"
    old.write_text(TRAINING)
    new.write_text(TRAINING + "# final\n")
    os.utime(old, (1, 1))
    (tmp_path / "s" / "my_cnn_system_x.py").write_text(MODEL)
    submission = intake.stage("x", tmp_path / "s", CONFIG, tmp_path / "staged")
    assert submission.files["training"] == "training_x.py"
    assert any(p.startswith("duplicate") for p in submission.problems)


def test_zip_with_path_traversal_is_contained(tmp_path):
    _zip(tmp_path / "evil.zip", {"../../escape.py": "X = 1\n", "/abs.py": "X = 1\n", "my_cnn_system_e.py": MODEL})
    submission = intake.stage("evil", tmp_path / "evil.zip", CONFIG, tmp_path / "staged")
    assert not (tmp_path.parent / "escape.py").exists()
    assert submission.files["model"] == "my_cnn_system_e.py"


def test_examples_include_reference_and_skeleton():
    examples = dict(example_sources(CONFIG))
    assert examples["reference"] == REPO / "solutions" / "ex02_cnn"
    assert examples["skeleton"] == REPO / "assignments" / "ex02_cnn"
    assert len(examples) >= 10
