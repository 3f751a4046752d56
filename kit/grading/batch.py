"""Grade a batch of submissions: one trusted pytest process per submission, JOBS at a time.

Output, under ``<out>/<assignment>/``:

- ``<submission>/results.json``: Gradescope schema, written atomically and last;
- ``<submission>/feedback.md``: what the student reads;
- ``<submission>/files/``: the staged files that were graded;
- ``grades.csv``: rebuilt from the results.json on disk of the batch's submissions after each
  one, so a killed batch loses nothing already graded (the reports and LMS files: ``kit/grading/publish.py``).

A submission whose results.json exists is skipped unless ``force``; a regrade first keeps the
results it replaces in ``<submission>/history/`` (``kit/grading/regrade.py``).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kit.grading import intake
from kit.grading.cluster import ClusterOptions, EndedJob, outcome_path, run_as_jobs
from kit.grading.config import AUTOGRADER, AssignmentConfig, load_config
from kit.files import atomic_write_text
from kit.processes import available_cores, dies_with_parent
from kit.grading.regrade import keep_previous
from kit.grading.results import (TestResult, feedback_text, max_total, results_document, weigh,
                                 write_grades_csv)


@dataclass(frozen=True)
class Outcome:
    submission: str
    score: float | None  # None: skipped (already graded) or the grader itself failed
    max_score: float | None
    seconds: float
    status: str  # graded | skipped | grader-error
    note: str = ""  # a grader error's reason, in a line, for the console and the report


def run_graders(
    config: AssignmentConfig, staged: Path, view: Path | None, dataset: str, results_json: Path, probe_jobs: int = 1
) -> tuple[bool, str]:
    """Run the hidden graders on one staged submission in a trusted subprocess.

    ``probe_jobs``: how many of its probes may run at once (the cores other submissions leave idle).
    """
    command = [
        sys.executable, "-m", "pytest", str(config.folder), "-c", str(AUTOGRADER / "pytest.ini"),
        "--rootdir", str(AUTOGRADER), "-q", "--no-header", "-rN",
        "--assignment", config.id, "--submission", str(staged), "--dataset", dataset,
        "--results-json", str(results_json), "--probe-jobs", str(probe_jobs),
    ]
    if view is not None:
        command += ["--features", str(view)]
    # Only the plugins pytest.ini names: a pytest plugin installed beside the kit (hypothesis's,
    # which the kit's tests use, costs 1.2 s per submission; a rerun-failures or random-order
    # plugin would change grades) has no business in the process that scores.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    # The graders' temporary folders (tmp_path) in a private folder of this run: pytest's default,
    # a numbered folder under the shared /tmp/pytest-of-<user>, makes every run delete the oldest
    # ones there (0.5 s per submission beside the kit's own tests, whose folders are large).
    with tempfile.TemporaryDirectory(prefix="kit-graders-") as scratch:
        try:
            process = subprocess.run(dies_with_parent([*command, "--basetemp", str(Path(scratch) / "tmp")]),
                                     capture_output=True, text=True, timeout=config.timeout_for(dataset), env=env)
        except subprocess.TimeoutExpired:
            return False, f"the graders did not finish within {config.timeout_for(dataset):.0f} s"
    ok = results_json.is_file() and process.returncode in (0, 1)
    log = process.stdout[-4000:] + process.stderr[-4000:]
    if process.returncode < 0:  # killed from outside: the machine's OOM killer, a TA, a shutdown
        log = f"the graders were killed by {signal.Signals(-process.returncode).name} before they finished\n{log}"
    return ok, log


def probe_jobs_for(jobs: int) -> int:
    """Probes one submission may run at once: the cores that ``jobs`` parallel submissions leave."""
    return max(1, available_cores() // max(1, jobs))


def grade_submission(
    config: AssignmentConfig, ident: str, source: Path, out: Path, view: Path | None, dataset: str,
    probe_jobs: int = 1,
) -> Outcome:
    started = time.monotonic()
    folder = out / ident
    keep_previous(folder)
    submission = intake.stage(ident, source, config, folder / "files")
    with tempfile.TemporaryDirectory(prefix="kit-results-") as tmp:
        raw = Path(tmp) / "results.json"
        ok, log = run_graders(config, folder / "files", view, dataset, raw, probe_jobs)
        if not ok:
            atomic_write_text(folder / "grader-error.log", log)
            first = log.strip().splitlines()[0] if log.strip() else "the graders wrote no results"
            return Outcome(ident, None, None, time.monotonic() - started, "grader-error", first[:200])
        document = json.loads(raw.read_text())
    tests = weigh([TestResult(**test) for test in document["tests"]], config.parts)
    final = results_document(tests, execution_time=document["execution_time"], output=submission.report())
    atomic_write_text(folder / "feedback.md", feedback_text(ident, final))
    # results.json appears last, atomically: its presence means the submission is completely graded.
    atomic_write_text(folder / "results.json", json.dumps(final, indent=2) + "\n")
    (folder / "grader-error.log").unlink(missing_ok=True)
    return Outcome(ident, final["score"], max_total(final), time.monotonic() - started, "graded")


def grade_in_job(assignment: str, ident: str, source: Path, out: Path, view: Path | None, dataset: str,
                 probe_jobs: int | None) -> None:
    """What one job runs (on the cluster node): grade one submission into the shared folder.

    ``probe_jobs`` None: the job's own cores (what Slurm gave it); the local executor's jobs
    share this machine, so the coordinator says how many each may use.
    """
    outcome = grade_submission(load_config(assignment), ident, source, out, view, dataset,
                               probe_jobs=probe_jobs or available_cores())
    atomic_write_text(outcome_path(out, ident), json.dumps(asdict(outcome)))


def collect(out: Path, idents: set[str] | None = None) -> dict[str, dict]:
    """The results on disk under ``out``: of ``idents`` only (a run's submissions), or all of them."""
    documents = {}
    paths = sorted(out.glob("*/results.json")) if idents is None else [out / i / "results.json" for i in sorted(idents)]
    for path in paths:
        try:
            documents[path.parent.name] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
    return documents


def grade_batch(
    config: AssignmentConfig,
    submissions: list[tuple[str, Path]],
    out: Path,
    *,
    view: Path | None,
    dataset: str,
    jobs: int = 1,
    probe_jobs: int | None = None,
    force: bool = False,
    console: Console | None = None,
    cluster: ClusterOptions | None = None,
    adjust: Callable[[dict[str, dict]], dict[str, dict]] | None = None,
) -> list[Outcome]:
    """Grade ``submissions`` into ``out``, ``jobs`` at a time: in threads of this process, or as
    cluster jobs (``cluster``, :mod:`kit.grading.cluster`). ``probe_jobs`` per submission
    defaults to :func:`probe_jobs_for`; ``adjust`` applies the TA's adjustments to the grade sheet."""
    console = console or Console(stderr=True)
    out.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    todo = []
    for ident, source in submissions:
        if (out / ident / "results.json").is_file() and not force:
            outcomes.append(Outcome(ident, None, None, 0.0, "skipped"))
        else:
            todo.append((ident, source))
    if len(todo) < len(submissions):
        console.print(f"skipping {len(submissions) - len(todo)} already graded (FORCE=1 regrades them)")
    per_submission = probe_jobs or probe_jobs_for(jobs)
    if cluster is None:
        ended = _in_threads(config, todo, out, view, dataset, jobs, per_submission)
    else:
        ended = (_job_outcome(job, out) for job in run_as_jobs(grade_in_job, cluster, config, todo, out, view, dataset,
                                                              jobs, per_submission, say=console.print))
    columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    # The sheet describes this run's submissions: another section's results in ``out`` stay on disk.
    # Read once, then one file per graded submission: reading them all after each one made a class
    # of 300 parse 45,000 results files.
    documents = collect(out, {ident for ident, _ in submissions})
    adjust = adjust or (lambda documents: documents)
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("", total=len(todo))
        for outcome in ended:
            outcomes.append(outcome)
            score = f"error ({outcome.note or 'see grader-error.log'})" if outcome.score is None \
                else f"{outcome.score:g}/{outcome.max_score:g}"
            progress.console.print(f"  {outcome.submission}: {score} ({outcome.seconds:.0f} s)")
            progress.update(task, advance=1, description=f"last: {outcome.submission}")
            documents.update(collect(out, {outcome.submission}))
            write_grades_csv(out / "grades.csv", adjust(documents))
    write_grades_csv(out / "grades.csv", adjust(documents))
    return outcomes


class DiskFull(SystemExit):
    """The disk under the output folder is full: the batch stops, keeping what is graded."""


def disk_full(error: OSError, out: Path) -> DiskFull:
    return DiskFull(
        f"the disk holding {out} is full ({error.strerror}: {error.filename or ''}). The batch stopped; every "
        "submission graded so far is kept (results.json is written whole or not at all). Free some space "
        "(df -h shows where) and run make grade again: it grades only what is left.")


def _in_threads(config: AssignmentConfig, todo: list[tuple[str, Path]], out: Path, view: Path | None,
                dataset: str, jobs: int, probe_jobs: int) -> Iterator[Outcome]:
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(grade_submission, config, i, s, out, view, dataset, probe_jobs): i for i, s in todo}
        for future in as_completed(futures):
            ident = futures[future]
            try:
                yield future.result()
            except OSError as error:
                if error.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise disk_full(error, out) from None
                atomic_write_text(out / ident / "grader-error.log", repr(error))
                yield Outcome(ident, None, None, 0.0, "grader-error", repr(error)[:200])
            except Exception as error:  # one broken submission never stops the batch
                atomic_write_text(out / ident / "grader-error.log", repr(error))
                yield Outcome(ident, None, None, 0.0, "grader-error", repr(error)[:200])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a stopped batch starts nothing more


def _job_outcome(job: EndedJob, out: Path) -> Outcome:
    """A finished job's outcome, from the JSON note it left in the shared folder (never its pickle)."""
    try:
        return Outcome(**json.loads(outcome_path(out, job.ident).read_text()))
    except (OSError, ValueError, TypeError):
        reason = job.reason or f"the grading job ended ({job.state}) before it finished"
        atomic_write_text(out / job.ident / "grader-error.log",
                          f"{reason}; graded again on the next run. The end of its log:\n{job.stderr}")
        return Outcome(job.ident, None, None, job.seconds, "grader-error", reason)
