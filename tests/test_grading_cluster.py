"""EXECUTOR=slurm: the options a TA gives reach the sbatch script submitit writes, and a machine
without Slurm gets a message saying where to run it. (Grading through submitit's local
executor, the same code path, is tested on all examples in test_grading_examples.py.)"""

import json
import os
from pathlib import Path

import pytest

from kit.grading import batch
from kit.grading.cluster import ClusterOptions, EndedJob, make_executor, outcome_path
from kit.grading.config import load_config


@pytest.fixture
def fake_srun(tmp_path, monkeypatch):
    """submitit's Slurm executor only checks that srun exists before it writes a script."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_folder / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")


def test_slurm_options_reach_the_sbatch_script(tmp_path, fake_srun):
    config = load_config("ex02_cnn")
    options = ClusterOptions("slurm", partition="cpu-short", cpus=4, mem_gb=12, time_min=40, account="audio-course")
    executor = make_executor(options, tmp_path / "jobs", config, "embedded")
    script = executor._executor._make_submission_file_text("python -u -m submitit.core._submit jobs", "uid")
    for line in ("#SBATCH --partition=cpu-short", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=12GB",
                 "#SBATCH --time=40", "#SBATCH --account=audio-course", "#SBATCH --job-name=grade-ex02_cnn"):
        assert line in script.splitlines(), (line, script)


def test_slurm_time_defaults_to_the_submission_timeout_plus_ten_minutes(tmp_path, fake_srun):
    config = load_config("ex02_cnn")
    script = make_executor(ClusterOptions("slurm"), tmp_path / "jobs", config, "gtzan")._executor \
        ._make_submission_file_text("true", "uid")
    assert f"#SBATCH --time={int(config.timeout_for('gtzan') // 60) + 10}" in script.splitlines()
    assert not any(line.startswith("#SBATCH --partition") for line in script.splitlines())


def test_no_slurm_here_says_where_to_run_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SystemExit, match="login node"):
        make_executor(ClusterOptions("slurm"), tmp_path / "jobs", load_config("ex02_cnn"), "embedded")


def test_a_job_that_died_is_a_grader_error_with_its_log(tmp_path):
    """Killed at its Slurm limit (no JSON note left): the log says so; a finished one is read as JSON."""
    died = batch._job_outcome(EndedJob("ada", 12.0, "slurmstepd: error: Exceeded job memory limit", "OUT_OF_MEMORY"),
                              tmp_path)
    assert died.status == "grader-error"
    assert "OUT_OF_MEMORY" in (tmp_path / "ada" / "grader-error.log").read_text()
    note = outcome_path(tmp_path, "bo")
    note.parent.mkdir(parents=True)
    note.write_text(json.dumps({"submission": "bo", "score": 50.0, "max_score": 54.0, "seconds": 20.0,
                                "status": "graded"}))
    finished = batch._job_outcome(EndedJob("bo", 21.0, "", "COMPLETED"), tmp_path)
    assert (finished.score, finished.status) == (50.0, "graded")
    assert not Path(tmp_path / "bo" / "grader-error.log").exists()
