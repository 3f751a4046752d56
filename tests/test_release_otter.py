"""The otter autograder zip, verified locally with ``otter run`` (what Gradescope runs, minus
its container and setup.sh, which cannot run here).

The zip is built once per session; every otter run (and the kit's own grading of the same
submission, for comparison) is started up front by one session fixture, as many at a time as
this process has cores (tests/conftest.py gives each xdist worker its own).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kit.grading.config import assignments, load_config
from kit.grading.examples import example_sources
from kit.processes import available_cores
from kit.release import contents
from kit.release.cli import build
from kit.sandbox.numba_cache import NUMBA_CACHE_ROOT
from kit.zipfiles import listing, read_zip

pytestmark = [pytest.mark.otter, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ex02_cnn"
DATASET = "embedded"
EXAMPLES = REPO / "autograder" / "examples" / ASSIGNMENT
OTTER = Path(sys.executable).with_name("otter")
# Graded through otter. The kit's own results are compared for KIT_COMPARED.
GRADED = ["reference", "skeleton", "syntax_error", "train_at_import", "reads_grader_files", "patches_pytest"]
FLAWED = ["syntax_error", "train_at_import"]  # realistic flaws that fail early: cheap to grade (no training)
HOSTILE = ["reads_grader_files", "patches_pytest"]
KIT_COMPARED = ["reference", "skeleton"]
RUN_TIMEOUT = 1500
# A student file named like a module otter's kernel imports first thing: it runs if a
# student file is ever left in the kernel's folder (tested with a harmless marker).
SHADOW_MARKER_NAME = "KIT_OTTER_SHADOW_MARKER"


def example_source(name: str) -> Path:
    return dict(example_sources(load_config(ASSIGNMENT)))[name]


def expected(name: str) -> dict | None:
    path = EXAMPLES / name / "expected.json"
    return json.loads(path.read_text()) if path.is_file() else None


def zip_folder(folder: Path, out: Path, extra: dict[str, str] | None = None) -> Path:
    """A submission zip of what a student would upload: the folder's files, not our notes."""
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_file() and rel not in ("README.md", "expected.json") and "__pycache__" not in rel:
                archive.write(path, rel)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return out


def otter_run(autograder: Path, submission: Path, out: Path) -> dict:
    """``otter run`` as Gradescope runs the zip in the image its setup.sh built: with librosa's numba
    functions compiled. `otter run` unpacks the zip afresh each time, so the engine is pointed at this
    checkout's compiled cache (KIT_NUMBA_CACHE_ROOT), the one `make setup` builds with the same command
    (test_setup_sh_prepares_the_image_where_the_engine_looks checks setup.sh's part)."""
    out.mkdir(parents=True, exist_ok=True)
    process = subprocess.run(
        [str(OTTER), "run", "-a", str(autograder), "-o", str(out), "--no-logo", str(submission)],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=out,
        env=dict(os.environ, KIT_NUMBA_CACHE_ROOT=str(NUMBA_CACHE_ROOT)),
    )
    (out / "otter.log").write_text(process.stdout + process.stderr)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def kit_grade(submission: Path, out: Path) -> dict:
    """The kit's own grade, with the accuracy training started beside the other probes (probe
    jobs 2, what a TA's JOBS=1 gets on two cores): otter runs them one after another, so the
    comparison also proves that running probes at once changes no result."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / "kit-results.json"
    process = subprocess.run(
        [sys.executable, "-m", "kit", "grade", "--assignment", ASSIGNMENT, "--dataset", DATASET,
         "--submission", str(submission), "--results-json", str(results), "--probe-jobs", "2"],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return json.loads(results.read_text())


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> dict[str, Path]:
    return build(ASSIGNMENT, DATASET, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def graded(release, tmp_path_factory) -> dict[str, dict]:
    """{"otter:<example>" or "kit:<example>": results.json}, all run up front, 2 at a time."""
    root = tmp_path_factory.mktemp("graded")
    marker = root / SHADOW_MARKER_NAME
    # The skeleton comes with a module that would shadow otter's own first import in its
    # kernel: it writes a marker if it ever runs there (it must not change the grade).
    shadow = {"otter.py": f"open({str(marker)!r}, 'w').write('ran')\nraise ImportError('shadowed')\n"}
    jobs = {}
    for name in GRADED:
        source = example_source(name)
        if source.is_dir() and any(p.suffix == ".py" for p in source.iterdir()):
            upload = zip_folder(source, root / f"{name}.zip", shadow if name == "skeleton" else None)
            jobs[f"otter:{name}"] = (otter_run, release["autograder"], upload)
    for name in KIT_COMPARED:
        if f"otter:{name}" in jobs:
            jobs[f"kit:{name}"] = (kit_grade, jobs[f"otter:{name}"][2])
    results = {}
    with ThreadPoolExecutor(max_workers=available_cores()) as pool:
        futures = {}
        for key, (function, *arguments) in jobs.items():
            out = root / key.replace(":", "-")
            futures[key] = pool.submit(function, *arguments, out)
        for key, future in futures.items():
            try:
                results[key] = future.result()
            except BaseException as error:  # reported by the test that needs it
                results[key] = error
    results["shadow_marker_exists"] = marker.exists()
    return results


def result(graded: dict, key: str) -> dict:
    if key not in graded:
        pytest.skip(f"{key} has no example files yet")
    value = graded[key]
    if isinstance(value, BaseException):
        raise value
    return value


def points(document: dict) -> dict[str, float]:
    """Scores by test number and by test name (expected.json may key by either)."""
    by_name = {test["name"]: test["score"] for test in document["tests"]}
    return {**by_name, **{str(test.get("number")): test["score"] for test in document["tests"]}}


def assert_expected(document: dict, name: str, *, required: bool = False) -> None:
    want = expected(name)
    if want is None:
        if required:
            pytest.skip(f"autograder/examples/{ASSIGNMENT}/{name}/expected.json is not written yet")
        return
    got = points(document)
    if "tests" in want:
        assert {k: got.get(k) for k in want["tests"]} == pytest.approx(want["tests"]), name
    assert document["score"] == pytest.approx(want["total"]), name


# --- the zip --------------------------------------------------------------------------
def test_autograder_zip_holds_otter_files_and_the_kit_payload_only(release):
    files = read_zip(release["autograder"])
    otter = {"run_autograder", "run_otter.py", "setup.sh", "environment.yml", "otter_config.json",
             "files/kit_entry.ipynb"}
    assert otter <= set(files)
    allowed = [p.format(assignment=ASSIGNMENT, dataset=DATASET) for p in contents.AUTOGRADER_PAYLOAD]
    for name in set(files) - otter:
        assert any(name == p or (p.endswith("/") and name.startswith(p)) for p in allowed), name
        assert not contents.autograder_forbidden(name), name
    # The payload stays out of files/, which otter copies next to the student's files.
    assert [n for n in files if n.startswith("files/")] == ["files/kit_entry.ipynb"]
    assert any(n.startswith(f"features/{DATASET}/holdout/") for n in files)  # what the accuracy check scores
    assert not [n for n in files if n.startswith("assignments/")], "no helper modules: nothing of assignments/ ships"
    assert any(n.startswith(f"autograder/{ASSIGNMENT}/test_") for n in files)
    config = json.loads(files["otter_config.json"])
    assert list(config["plugins"][0]) == ["kit.release.otter_plugin.KitEnginePlugin"]


def test_autograder_requirements_are_the_lock_with_cpu_torch(release):
    files = read_zip(release["autograder"])
    environment = files["environment.yml"].decode()
    lock = [line for line in (REPO / "requirements.lock").read_text().splitlines() if line.strip()]
    for line in lock:
        if line.startswith("torch=="):
            assert line not in environment  # not from PyPI (CUDA); from the CPU index instead
        elif line.startswith("otter-grader=="):
            assert "otter-grader[grading]==7.0.0" in environment
        else:
            assert f"- {line}\n" in environment, line
    setup = files["setup.sh"].decode()
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in setup
    assert "bubblewrap" in setup


def test_setup_sh_prepares_the_image_where_the_engine_looks(release, tmp_path):
    """setup.sh compiles librosa's numba functions (and, for graders that compute their inputs from the
    shipped audio, caches those inputs) in /autograder/source, where the zip's kit reads them at run time."""
    setup = read_zip(release["autograder"])["setup.sh"].decode()
    appendix = setup[setup.index("# --- added by the kit"):]
    assert "cd /autograder/source\n" in appendix
    assert appendix.index("cd /autograder/source") < appendix.index("python -m kit.sandbox.numba_cache")
    assert "python -m kit data" not in appendix  # ex02's zip ships its features
    ex03 = build("ex03_intent", DATASET, tmp_path / "ex03")
    appendix = read_zip(ex03["autograder"])["setup.sh"].decode()
    assert "python -m kit data --assignment ex03_intent --dataset embedded" in appendix
    # Run from the unpacked zip, the module builds its cache inside the zip's own build/cache/, as the
    # engine started from there (otter_plugin: cwd and PYTHONPATH the zip's root) looks for it.
    source = tmp_path / "source"
    source.mkdir()
    for name, data in read_zip(release["autograder"]).items():
        if name.startswith("kit/"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(data)
    environment = {k: v for k, v in os.environ.items() if k not in ("KIT_NUMBA_CACHE_ROOT", "PYTHONPATH")}
    where = subprocess.run([sys.executable, "-P", "-c", "from kit.sandbox.numba_cache import NUMBA_CACHE_ROOT; "
                            "print(NUMBA_CACHE_ROOT)"], cwd=source, env=dict(environment, PYTHONPATH=str(source)),
                           capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()) == source / "build" / "cache" / "numba"


def test_both_zips_are_deterministic(release, tmp_path):
    again = build(ASSIGNMENT, DATASET, tmp_path)
    for kind in ("student", "autograder"):
        assert listing(again[kind]) == listing(release[kind]), kind
        assert again[kind].read_bytes() == release[kind].read_bytes(), kind


# --- grading through otter ------------------------------------------------------------
def test_reference_scores_full_marks(graded):
    document = result(graded, "otter:reference")
    assert document["tests"], document
    for test in document["tests"]:
        assert test["score"] == test["max_score"], test
    assert_expected(document, "reference")


def test_skeleton_scores_zero_and_runs_nothing_in_otters_kernel(graded):
    document = result(graded, "otter:skeleton")
    assert not graded["shadow_marker_exists"], "a student's otter.py ran in otter's kernel"
    assert document["score"] == 0
    assert sum(t["max_score"] for t in document["tests"]) > 0
    assert not any(t["name"].startswith("Autograder error") for t in document["tests"])
    assert_expected(document, "skeleton")


@pytest.mark.parametrize("name", FLAWED)
def test_flawed_examples_score_exactly_their_expected_points(graded, name):
    assert_expected(result(graded, f"otter:{name}"), name, required=True)


@pytest.mark.parametrize("name", KIT_COMPARED)
def test_otter_results_equal_the_kits_own(graded, name):
    through_otter = result(graded, f"otter:{name}")
    kit = result(graded, f"kit:{name}")
    assert set(through_otter) == set(kit) >= {"score", "execution_time", "output", "visibility", "tests"}
    for key in set(kit) - {"execution_time", "tests"}:  # everything but the timing, outputs included
        assert through_otter[key] == kit[key], key
    # Each test's own execution_time is a timing too; every other field must be equal.
    untimed = [[{k: v for k, v in t.items() if k != "execution_time"} for t in d["tests"]] for d in (through_otter, kit)]
    assert untimed[0] == untimed[1]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_examples_gain_nothing_through_the_zip(graded, name):
    document = result(graded, f"otter:{name}")
    assert not any(t["name"].startswith("Autograder error") for t in document["tests"])
    want = expected(name)
    if want is not None:
        assert document["score"] == pytest.approx(want["total"])
        assert_expected(document, name)
    else:  # until expected.json exists: at least no full marks
        assert document["score"] < sum(t["max_score"] for t in document["tests"])
    text = json.dumps(document)
    public = json.dumps(result(graded, "otter:reference"))  # test names etc. are public
    hidden = REPO / "autograder" / ASSIGNMENT
    for grader in sorted(hidden.rglob("*.py")):
        for line in grader.read_text().splitlines():
            line = line.strip()
            if len(line) >= 40 and line not in public:  # a distinctive line of a hidden grader
                assert line not in text, f"{grader.name} leaked into the results: {line}"


def test_a_notebook_in_the_submission_is_refused_with_a_message(release, tmp_path):
    """Otter grades the one .ipynb it finds; a student's own notebook makes two, and otter
    refuses before any code runs. Run as Gradescope runs it (``run_otter.py``'s call on an
    ``/autograder``-like folder): the student gets 0 and the reason, not a silent crash."""
    autograder = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (autograder / sub).mkdir(parents=True)
    (autograder / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(release["autograder"]) as archive:
        archive.extractall(autograder / "source")
    for path in example_source("skeleton").glob("*.py"):
        (autograder / "submission" / path.name).write_bytes(path.read_bytes())
    (autograder / "submission" / "scratch.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    process = subprocess.run(
        [sys.executable, "-c", "import sys; from otter.run.run_autograder import main; "
         "main(sys.argv[1], otter_run=True)", str(autograder)],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=autograder / "source",
    )
    assert process.returncode != 0
    document = json.loads((autograder / "results" / "results.json").read_text())
    assert document["score"] == 0
    assert "More than one .ipynb" in document["tests"][0]["output"]


# --- every other assignment found -------------------------------------------------------
# ex02's zip and otter runs are checked in depth above; every other assignment (a new one needs no
# change here) gets its release built and its reference and skeleton graded through `otter run`.
OTHERS = [assignment for assignment in assignments() if assignment != ASSIGNMENT]


@pytest.mark.parametrize("assignment", OTHERS)
def test_every_assignments_release_grades_reference_full_and_skeleton_zero_through_otter(assignment, tmp_path):
    built = build(assignment, DATASET, tmp_path / "dist")
    files = read_zip(built["autograder"])
    assert any(n.startswith(f"autograder/{assignment}/test_") for n in files)
    assert not [n for n in files if n.startswith(("solutions/", "assignments/"))]
    config = load_config(assignment)
    sources = dict(example_sources(config))
    with ThreadPoolExecutor(max_workers=available_cores()) as pool:
        runs = {name: pool.submit(otter_run, built["autograder"], zip_folder(sources[name], tmp_path / f"{name}.zip"),
                                  tmp_path / f"otter-{name}")
                for name in ("reference", "skeleton")}
        reference, skeleton = runs["reference"].result(), runs["skeleton"].result()
    assert reference["tests"] and all(t["score"] == t["max_score"] for t in reference["tests"]), \
        [(t["name"], t["output"][:300]) for t in reference["tests"] if t["score"] < t["max_score"]]
    assert reference["score"] == pytest.approx(config.golden("reference")["total"])
    assert skeleton["score"] == 0
    if "data" in built:  # the students' data zip never holds a held-out clip
        from kit.data.cache import DATASETS
        from kit.data.manifest import load_manifest

        manifest = load_manifest(DATASETS[config.data_source(DATASET)].manifest)
        held_out = {clip.path.rsplit("/", 1)[-1] for clip in manifest.clips if clip.split == "holdout"}
        shipped = {name.rsplit("/", 1)[-1] for name in read_zip(built["data"])}
        assert held_out and not held_out & shipped
