"""Examples written as "a base example with edits" (kit/grading/examples.py) build as described."""

import shutil

import pytest

from kit.grading import examples
from kit.grading.config import REPO, load_config
from kit.grading.edits import EditError

CONFIG = load_config("ex02_cnn")


@pytest.fixture
def example_root(tmp_path, monkeypatch):
    monkeypatch.setattr(examples, "BUILT", tmp_path / "built")
    return tmp_path / "example"


def test_missing_files_come_from_the_base_renamed_and_the_edit_applied(example_root):
    example_root.mkdir()
    (example_root / "example.toml").write_text(
        'student = "ada"\n[[edit]]\nfile = "dataset_class_"\nfind = "shuffle=True"\nreplace = "shuffle=False"\n')
    built = examples.build_example(CONFIG, example_root)
    assert sorted(p.name for p in built.glob("*.py")) == ["dataset_class_ada.py", "my_cnn_system_ada.py", "training_ada.py"]
    dataset = (built / "dataset_class_ada.py").read_text()
    assert "shuffle=True" not in dataset and "BEGIN SOLUTION" not in dataset
    assert "from dataset_class_ada import get_data_loaders" in (built / "training_ada.py").read_text()
    assert examples.build_example(CONFIG, example_root) == built  # built once, then reused


def test_own_files_replace_the_base_files_of_their_role(example_root):
    example_root.mkdir()
    (example_root / "example.toml").write_text('student = "ada"\n')
    shutil.copy(REPO / "assignments" / "ex02_cnn" / "training_student.py", example_root / "training_ada.py")
    built = examples.build_example(CONFIG, example_root)
    assert (built / "training_ada.py").read_bytes() == (example_root / "training_ada.py").read_bytes()
    assert (built / "dataset_class_ada.py").is_file()


def test_an_edit_that_no_longer_applies_fails_and_leaves_nothing(example_root):
    example_root.mkdir()
    (example_root / "example.toml").write_text(
        'student = "ada"\n[[edit]]\nfile = "training_"\nfind = "not in the reference"\nreplace = "x"\n')
    with pytest.raises(EditError, match="example ex02_cnn/example no longer applies"):
        examples.build_example(CONFIG, example_root)
    assert not list((examples.BUILT / "ex02_cnn").iterdir())
