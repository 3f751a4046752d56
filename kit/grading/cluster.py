"""Grading submissions as cluster jobs through submitit (``make grade EXECUTOR=slurm``).

Why submitit: it is maintained, made for exactly this (a Python function as a Slurm job,
with its logs and state), needs nothing on the cluster but Slurm and a shared folder, and
has a local executor that runs the same job machinery as subprocesses, which is how this
path is tested on a machine without Slurm (``EXECUTOR=local``). dask-jobqueue would add a
scheduler and workers that live for the whole batch; one job per submission is what a TA
can follow in ``squeue`` and rerun.

Each job runs :func:`grade_in_job`: the same ``grade_submission`` as a local batch, so the
same sandbox and limits apply inside the job, and its results appear atomically in the
shared output folder (``<out>/<submission>/results.json``, written last), with a JSON note
of how it ended (:func:`outcome_path`). The coordinator never reads what submitit pickles
back: it reads that note once a job has ended, and a job that ended without one (killed at
its time or memory limit, or a node lost) is a grader error whose log is the job's stderr.
At most ``jobs`` jobs are queued or running at once; a rerun skips what is already graded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from kit.files import atomic_write_text
from kit.grading.config import AssignmentConfig, load_config

# How often the coordinator asks whether a job has ended. A local job's state is a process's:
# cheap to read, and every second of delay is a second of a batch's wall time per submission.
# A Slurm job's state comes from sacct through submitit's watcher: ask no more than that needs.
POLL_SECONDS = {"local": 0.2, "slurm": 2.0}
JOBS_FOLDER = "_jobs"  # submitit's scripts, logs and pickles, beside the results


@dataclass(frozen=True)
class ClusterOptions:
    """Where and with what a submission's job runs (``make grade EXECUTOR=... SLURM_...=...``)."""

    executor: Literal["local", "slurm"]
    partition: str | None = None
    cpus: int = 2  # the job's cores: its probes share them (the accuracy training runs beside the rest)
    mem_gb: int = 8  # two probes of at most 3 GB each, the probe server and the grader
    time_min: int | None = None  # default: the assignment's submission_timeout plus 10 minutes
    account: str | None = None

    def time_for(self, config: AssignmentConfig, dataset: str) -> int:
        return self.time_min or int(config.timeout_for(dataset) // 60) + 10


def make_executor(options: ClusterOptions, folder: Path, config: AssignmentConfig, dataset: str):
    import submitit

    try:
        executor = submitit.AutoExecutor(folder=folder, cluster=options.executor)
    except RuntimeError as error:  # no srun: not a Slurm machine
        raise SystemExit(f"EXECUTOR={options.executor}: {error}\nRun `make grade EXECUTOR=slurm` on the cluster's "
                         "login node, where sbatch and srun are on PATH; the repository and SUBMISSIONS must be "
                         "on a file system the compute nodes share.") from None
    parameters = dict(name=f"grade-{config.id}", timeout_min=options.time_for(config, dataset),
                      cpus_per_task=options.cpus, mem_gb=options.mem_gb, nodes=1, tasks_per_node=1)
    if options.partition:
        parameters["slurm_partition"] = options.partition
    if options.account:
        parameters["slurm_account"] = options.account
    executor.update_parameters(**parameters)
    return executor


def grade_in_job(assignment: str, ident: str, source: Path, out: Path, view: Path | None, dataset: str,
                 probe_jobs: int | None) -> None:
    """What one job runs (on the cluster node): grade one submission into the shared folder.

    ``probe_jobs`` None: the job's own cores (what Slurm gave it); the local executor's jobs
    share this machine, so the coordinator says how many each may use.
    """
    from kit.grading.batch import grade_submission
    from kit.processes import available_cores

    outcome = grade_submission(load_config(assignment), ident, source, out, view, dataset,
                               probe_jobs=probe_jobs or available_cores())
    atomic_write_text(outcome_path(out, ident), json.dumps(asdict(outcome)))


def outcome_path(out: Path, ident: str) -> Path:
    """Where a job says how grading its submission ended (JSON; absent: the job died first)."""
    return out / JOBS_FOLDER / "outcomes" / f"{ident}.json"


@dataclass
class EndedJob:
    ident: str
    seconds: float
    stderr: str  # the end of the job's own log, for grader-error.log
    state: str


def run_as_jobs(
    options: ClusterOptions, config: AssignmentConfig, todo: list[tuple[str, Path]], out: Path,
    view: Path | None, dataset: str, jobs: int, probe_jobs: int | None,
) -> Iterator[EndedJob]:
    """Submit ``todo`` as jobs, at most ``jobs`` at a time; yield each one as it ends."""
    executor = make_executor(options, out / JOBS_FOLDER, config, dataset)
    waiting = list(todo)
    running: dict[str, tuple[object, float]] = {}
    while waiting or running:
        while waiting and len(running) < max(1, jobs):
            ident, source = waiting.pop(0)
            outcome_path(out, ident).unlink(missing_ok=True)
            job = executor.submit(grade_in_job, config.id, ident, source, out, view, dataset,
                                  probe_jobs if options.executor == "local" else None)
            running[ident] = (job, time.monotonic())
        ended = [ident for ident, (job, _) in running.items() if job.done()]
        for ident in ended:
            job, started = running.pop(ident)
            yield EndedJob(ident, time.monotonic() - started, _tail(job.paths.stderr), job.state)
        if not ended:
            time.sleep(POLL_SECONDS[options.executor])


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-size:]
    except OSError:
        return ""
