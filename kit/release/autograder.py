"""The otter autograder zip for Gradescope: ``dist/<id>-autograder.zip``.

Two steps:

1. ``otter generate`` (its Python API, otter-grader 7.0.0) in a staging folder writes
   otter's part: ``run_autograder``, ``run_otter.py``, ``setup.sh``, ``environment.yml``
   (pinned from ``requirements.lock``), ``otter_config.json`` (which loads
   ``kit.release.otter_plugin.KitEnginePlugin``) and ``files/kit_entry.ipynb``, the entry
   notebook that otter executes instead of any student file.
2. The zip is rewritten deterministically (``zipfiles.write_zip``) with the kit payload
   added at its top level, i.e. in ``/autograder/source/`` on Gradescope, *outside*
   ``files/``: otter copies ``files/`` next to the student's files, and the payload must
   stay out of the student's reach. On Gradescope ``run_otter.py`` runs from
   ``/autograder/source``, so the plugin imports the zip's own ``kit``. ``setup.sh`` gets
   the CPU build of torch and bubblewrap (for the engine's sandbox) appended, then, run in
   ``/autograder/source``, librosa's compiled numba functions and (ex03) the graders' cached inputs.

The payload: the ``kit`` package, ``autograder/<id>/`` (hidden graders), the helper modules
the graders stage next to student code (``helpers`` in config.toml; none today), the
dataset's full manifest and its cached features (holdout split with labels; they never enter
the sandbox) when the graders use features, and the repository data they read (``grader_data`` in config.toml's ``[release]``).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from kit.grading.config import read_config
from kit.release import contents, features_payload
from kit.release.otter_plugin import ENTRY_NOTEBOOK, PLUGIN_NAME
from kit.release.pins import TORCH_CPU_INDEX, lock_pins
from kit.release.student import REPO, ReleaseError
from kit.zipfiles import check_name, read_zip, write_zip

OTTER_VERSION = "7.0.0"
PYTHON_VERSION = "3.11"  # requirements.lock is resolved for the kit's Python 3.11
EXECUTABLES = ("run_autograder", "setup.sh")
# Seconds between the engine's own per-submission limit and the plugin's hard stop.
ENGINE_TIMEOUT_MARGIN = 180

SETUP_APPENDIX = """
# --- added by the kit (kit/release/autograder.py) ---
# bubblewrap isolates the student's code in the kit's sandbox.
apt-get install -y bubblewrap util-linux
# The CPU build of torch (the default PyPI wheel pulls in CUDA, gigabytes we never use).
mamba run -n {env} python -m pip install --no-deps --index-url {index} {torch_pin}
mamba run -n {env} python -c "import torch; print('torch', torch.__version__)"
# librosa's numba functions, compiled once into the image for the engine and for its sandbox
# (kit/sandbox/numba_cache.py) instead of for about 20 CPU-seconds in every submission's run.
cd /autograder/source
mamba run -n {env} python -m kit.sandbox.numba_cache
"""
# For graders that compute their inputs from the shipped audio (config.toml [features.<name>], ex03): those
# inputs, cached into the image once instead of computed again for every submission.
SETUP_DATA = """mamba run -n {env} python -m kit data --assignment {assignment} --dataset {dataset}
"""

ENTRY_NOTEBOOK_JSON = {
    "cells": [
        {
            "cell_type": "markdown",
            "id": "kit-entry",
            "metadata": {},
            "source": [
                "# Graded by the course kit\n",
                "\n",
                "Otter executes this notebook in place of the submission. The student's files\n",
                "were moved out of this folder before this kernel started and are graded by\n",
                "`python -m kit grade` in its sandbox (see `kit/release/otter_plugin.py`).\n",
            ],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def grading_requirements(lock: Path) -> tuple[list[str], str]:
    """(pip lines for environment.yml, the torch pin for setup.sh).

    Every pin of the lock, otter-grader with its ``grading`` extra, torch left out (it
    comes from the CPU index). Otter's own default requirement line is replaced
    (``overwrite_requirements``) so the grading environment is exactly the lock.
    """
    pins = lock_pins(lock)
    if pins.get("otter-grader") != f"otter-grader=={OTTER_VERSION}":
        raise ReleaseError(f"requirements.lock must pin otter-grader=={OTTER_VERSION}")
    torch_pin = pins.pop("torch", None)
    if torch_pin is None:
        raise ReleaseError("requirements.lock does not pin torch")
    pins["otter-grader"] = f"otter-grader[grading]=={OTTER_VERSION}"
    return [pins[name] for name in sorted(pins)], torch_pin


def engine_timeout(assignment: str, dataset: str = "embedded") -> float:
    from kit.grading.config import load_config

    return float(load_config(assignment).timeout_for(dataset)) + ENGINE_TIMEOUT_MARGIN


def needs_features(assignment: str) -> bool:
    """Whether the zip ships the dataset's feature folder: the graders read features (ex01's bring their
    own audio) of one kind. Graders of several input kinds (config.toml ``[features.<name>]``, ex03) get
    the dataset's audio instead (``grader_data``), and the engine computes them in otter's environment."""
    from kit.grading.config import load_config

    config = load_config(assignment)
    return config.needs_features and not config.features


def otter_config(assignment: str, dataset: str) -> dict:
    plugin = {
        "assignment": assignment,
        "dataset": dataset,
        "timeout": engine_timeout(assignment),
        "entry": ENTRY_NOTEBOOK,
    }
    if needs_features(assignment):
        plugin["features"] = features_payload.feature_folder(dataset)
    return {
        "lang": "python",
        "plugins": [
            {PLUGIN_NAME: plugin}
        ],
        # The engine decides what students see (per-test visibility in its results.json);
        # otter's stdout (the plugin report) is for staff only.
        "show_stdout": False,
        "print_summary": True,
    }


def run_otter_generate(assignment: str, dataset: str, lock: Path) -> dict[str, bytes]:
    """Otter's part of the zip, built by ``otter.generate.main`` in a staging folder."""
    from otter.generate import main as otter_generate

    requirements, _ = grading_requirements(lock)
    with tempfile.TemporaryDirectory(prefix="kit-otter-generate-") as tmp:
        staging = Path(tmp)
        (staging / "tests").mkdir()
        (staging / "otter_config.json").write_text(json.dumps(otter_config(assignment, dataset), indent=2))
        (staging / "requirements.txt").write_text("\n".join(requirements) + "\n")
        (staging / ENTRY_NOTEBOOK).write_text(json.dumps(ENTRY_NOTEBOOK_JSON, indent=1) + "\n")
        with contextlib.chdir(staging):
            otter_generate(
                tests_dir="tests",
                output_path="autograder.zip",
                config="otter_config.json",
                requirements="requirements.txt",
                overwrite_requirements=True,
                no_environment=True,
                files=[ENTRY_NOTEBOOK],
                python_version=PYTHON_VERSION,
            )
        return read_zip(staging / "autograder.zip")


def patch_setup(setup: bytes, torch_pin: str, assignment: str, dataset: str) -> bytes:
    from otter.generate import OTTER_ENV_NAME
    from kit.grading.config import load_config

    text = setup.decode()
    if "mamba env create" not in text:
        raise ReleaseError("otter's setup.sh has changed: no 'mamba env create' line to follow")
    appendix = SETUP_APPENDIX.format(env=OTTER_ENV_NAME, index=TORCH_CPU_INDEX, torch_pin=torch_pin)
    if load_config(assignment).features:
        appendix += SETUP_DATA.format(env=OTTER_ENV_NAME, assignment=assignment, dataset=dataset)
    return (text.rstrip("\n") + "\n" + appendix).encode()


def _folder_files(folder: Path, prefix: str) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = f"{prefix}/{path.relative_to(folder).as_posix()}"
        if contents.is_ignored(name) or contents.autograder_forbidden(name):
            continue
        files[check_name(name)] = path.read_bytes()
    return files


def kit_payload(assignment: str, dataset: str, repo: Path = REPO, data_dir: Path | None = None) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files.update(_folder_files(repo / "kit", "kit"))
    hidden = repo / "autograder" / assignment
    if not (hidden / "config.toml").is_file():
        raise ReleaseError(f"no hidden graders: {hidden / 'config.toml'} is missing")
    files.update(_folder_files(hidden, f"autograder/{assignment}"))
    for shared in sorted((repo / "autograder").iterdir()):  # pytest.ini (and a conftest.py)
        if shared.is_file() and not contents.is_ignored(shared.name):
            files[f"autograder/{shared.name}"] = shared.read_bytes()
    for helper in read_config(hidden / "config.toml").helpers:  # modules the graders stage beside student code
        files[check_name(helper)] = (repo / helper).read_bytes()
    for rel in contents.student_contents(assignment, repo).grader_data:
        path = repo / rel
        if rel.endswith("/") and path.is_dir():
            files.update(_folder_files(path, rel.rstrip("/")))
        elif path.is_file():
            files[check_name(rel)] = path.read_bytes()
        else:
            raise ReleaseError(f"{rel} (grader_data in autograder/{assignment}/config.toml) does not exist")
    if needs_features(assignment):
        files.update(features_payload.payload(dataset, repo, data_dir))
    return files


def autograder_files(
    assignment: str, dataset: str, repo: Path = REPO, data_dir: Path | None = None
) -> dict[str, bytes]:
    lock = repo / "requirements.lock"
    otter_part = run_otter_generate(assignment, dataset, lock)
    _, torch_pin = grading_requirements(lock)
    otter_part["setup.sh"] = patch_setup(otter_part["setup.sh"], torch_pin, assignment, dataset)
    payload = kit_payload(assignment, dataset, repo, data_dir)
    clash = set(otter_part) & set(payload)
    if clash:
        raise ReleaseError(f"kit payload would overwrite otter's files: {sorted(clash)}")
    files = {**otter_part, **payload}
    bad = [name for name in files if contents.autograder_forbidden(name)]
    if bad:
        raise ReleaseError(f"forbidden in the autograder zip: {bad}")
    return files


def build_autograder_zip(
    assignment: str, dataset: str, out: Path, repo: Path = REPO, data_dir: Path | None = None
) -> Path:
    files = autograder_files(assignment, dataset, repo, data_dir)
    # otter's runner copies source/tests into the submission folder: it must exist even
    # though the kit uses no otter test file.
    return write_zip(out, files, executables=EXECUTABLES, directories=["tests/"])
