"""The otter plugin that hands grading to the kit's sandboxed engine.

Otter 7 always executes *something* in a Jupyter kernel whose working folder is the
submission folder, and it picks that something from the submission: the one ``.ipynb``,
else the one ``.py`` (several ``.py`` files are refused). Our students submit several
``.py`` files, and a student's code must never run in otter's kernel (it could patch the
tests or print them). So the autograder zip ships an *entry notebook* as a support file
(otter copies it into the submission folder, which makes it the file otter grades) and
this plugin, listed in ``otter_config.json``:

``before_grading`` (runs in otter's own process, before any kernel starts)
    moves every student file out of the submission folder into ``<autograder>/kit_work/``
    (so the kernel, whose ``sys.path`` starts with its working folder, can import none of
    them) and runs the kit's grade CLI (``python -m kit grade``: ``kit grade
    --submission ... --results-json ...`` on the features shipped in the zip) from the zip's
    copy of the kit. The engine runs each probe of student code in its own sandbox.
``after_grading``
    replaces otter's (empty) results with the engine's ``results.json``, which otter then
    writes to ``results/results.json`` unchanged.

Otter's kernel thus executes only the entry notebook (ours, trusted) and no test file.
The plugin never raises: an engine failure becomes a 0-point result that says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from otter.plugins import AbstractOtterPlugin
from otter.test_files import GradingResults
from kit.processes import kill_group

PLUGIN_NAME = "kit.release.otter_plugin.KitEnginePlugin"
ENTRY_NOTEBOOK = "kit_entry.ipynb"
WORK_FOLDER = "kit_work"
RESULTS_MAX_BYTES = 5 << 20
TAIL_BYTES = 4000


class KitGradingResults(GradingResults):
    """Otter results whose Gradescope form is the engine's ``results.json`` as is."""

    def _kit(self) -> dict[str, Any]:
        return self._plugin_data[PLUGIN_NAME]

    def to_gradescope_dict(self, ag_config: Any) -> dict[str, Any]:
        return json.loads(json.dumps(self._kit()))

    @property
    def total(self) -> float:
        return float(self._kit().get("score", 0))

    @property
    def possible(self) -> float:
        return float(sum(t.get("max_score", 0) or 0 for t in self._kit().get("tests", [])))

    def summary(self, public_only: bool = False) -> str:
        return "\n".join(f"{t.get('name')}: {t.get('score')}/{t.get('max_score')}" for t in self._kit()["tests"])


def error_results(message: str, detail: str = "") -> dict[str, Any]:
    """A Gradescope result for a submission the engine could not grade."""
    tests = [
        {
            "name": "Autograder error",
            "number": "0",
            "score": 0,
            "max_score": 0,
            "output": message + "\nThis is not your grade: the course staff will regrade it.",
            "visibility": "visible",
        }
    ]
    if detail:
        tests.append(
            {
                "name": "Autograder error (details for staff)",
                "number": "0.1",
                "score": 0,
                "max_score": 0,
                "output": detail,
                "visibility": "hidden",
            }
        )
    return {"score": 0, "execution_time": 0, "output": message, "visibility": "visible", "tests": tests}


def load_results(path: Path) -> dict[str, Any]:
    """Read the engine's results.json as data, checking the Gradescope shape."""
    if path.stat().st_size > RESULTS_MAX_BYTES:
        raise ValueError(f"{path.name} is larger than {RESULTS_MAX_BYTES} bytes")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise ValueError("results.json has no 'tests' list")
    for test in data["tests"]:
        if not isinstance(test, dict) or "name" not in test:
            raise ValueError(f"malformed test entry: {test!r:.200}")
        for key in ("score", "max_score"):
            if key in test and not isinstance(test[key], (int, float)):
                raise ValueError(f"test {test['name']!r}: {key} is not a number")
    if not isinstance(data.get("score"), (int, float)):
        data["score"] = sum(t.get("score", 0) or 0 for t in data["tests"])
    return data


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _kill_group(process: subprocess.Popen) -> None:
    kill_group(process)
    process.wait()


def quarantine(submission_dir: Path, target: Path, keep: set[str]) -> list[str]:
    """Move the student's files from ``submission_dir`` to ``target``; return their names.

    ``keep`` names what otter itself put there (the entry notebook and ``tests/``). Otter's
    own empty ``__init__.py`` is dropped rather than passed on as if the student wrote it.
    """
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for entry in sorted(submission_dir.iterdir(), key=lambda p: p.name):
        if entry.name in keep:
            continue
        if entry.name == "__init__.py" and entry.is_file() and entry.stat().st_size == 0:
            entry.unlink()
            continue
        shutil.move(str(entry), str(target / entry.name))
        moved.append(entry.name)
    return moved


def engine_input(folder: Path) -> Path:
    """What to give the engine: a lone uploaded zip as the zip itself, else the folder."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_file() and entries[0].suffix.lower() == ".zip":
        return entries[0]
    return folder


# One probe at a time: Gradescope's default container has 768 MB.
ENGINE_PROBE_JOBS = 1


class KitEnginePlugin(AbstractOtterPlugin):
    """Plugin config keys (``otter_config.json``): ``assignment`` (required), ``dataset``,
    ``features`` (the feature folder, relative to the zip's root), ``timeout`` (seconds
    for the whole engine run), ``entry`` (the entry notebook's name)."""

    def _paths(self) -> tuple[Path, Path, Path]:
        submission_dir = Path(self.submission_path).resolve().parent
        autograder_dir = submission_dir.parent
        return submission_dir, autograder_dir / "source", autograder_dir / WORK_FOLDER

    def engine_command(self, source: Path, submission: Path, results_json: Path) -> list[str]:
        """``python -m kit grade --features`` on the shipped feature folder."""
        command = [
            sys.executable, "-P", "-m", "kit", "grade",
            "--assignment", str(self.plugin_config["assignment"]),
            "--submission", str(submission),
            "--results-json", str(results_json),
            "--probe-jobs", str(ENGINE_PROBE_JOBS),
        ]
        if self.plugin_config.get("dataset"):
            command += ["--dataset", str(self.plugin_config["dataset"])]
        if self.plugin_config.get("features"):
            command += ["--features", str(source / self.plugin_config["features"])]
        return command

    def before_grading(self, config: Any) -> None:
        self.kit_results: dict[str, Any] | None = None
        self.report = ""
        started = time.monotonic()
        try:
            self.kit_results = self._grade()
        except Exception as error:  # never let otter crash without a results.json
            self.kit_results = error_results(
                "The grading engine could not grade this submission.", f"{type(error).__name__}: {error}"
            )
        self.report += f"engine wall time: {time.monotonic() - started:.1f} s\n"

    def _grade(self) -> dict[str, Any]:
        submission_dir, source, work = self._paths()
        if work.exists():
            shutil.rmtree(work)
        entry = self.plugin_config.get("entry", ENTRY_NOTEBOOK)
        moved = quarantine(submission_dir, work / "submission", keep={entry, "tests"})
        self.report += f"moved out of otter's kernel folder: {', '.join(moved) or '(nothing)'}\n"
        results_json = work / "results.json"
        log = work / "engine.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
        command = self.engine_command(source, engine_input(work / "submission"), results_json)
        self.report += "engine: " + " ".join(command) + "\n"
        timeout = float(self.plugin_config.get("timeout", 1080))
        with open(log, "wb") as output:
            # Its own process group, so that a timeout stops the graders and probes too.
            process = subprocess.Popen(
                command, cwd=source, env=env, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                return error_results(
                    f"Grading took longer than {timeout:.0f} s and was stopped.", _tail(log)
                )
        self.report += f"engine exit code {returncode}\n" + _tail(log)[-1500:] + "\n"
        if returncode != 0 or not results_json.is_file():
            return error_results(
                f"The grading engine stopped with exit code {returncode}.", _tail(log)
            )
        return load_results(results_json)

    def after_grading(self, results: GradingResults) -> None:
        if getattr(self, "kit_results", None) is None:  # before_grading did not run
            self.kit_results = error_results("The grading engine was not run.")
        results.__class__ = KitGradingResults
        results._catastrophic_error = None
        results.set_plugin_data(PLUGIN_NAME, self.kit_results)

    def generate_report(self) -> str:
        return getattr(self, "report", "")
