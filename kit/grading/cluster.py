"""Grading submissions as cluster jobs through submitit (``make grade EXECUTOR=slurm``).

Why submitit: it is maintained, made for exactly this (a Python function as a Slurm job,
with its logs and state), needs nothing on the cluster but Slurm and a shared folder, and
has a local executor that runs the same job machinery as subprocesses, which is how this
path is tested on a machine without Slurm (``EXECUTOR=local``). dask-jobqueue would add a
scheduler and workers that live for the whole batch; one job per submission is what a TA
can follow in ``squeue`` and rerun.

Each job runs ``kit.grading.batch.grade_in_job``: the same ``grade_submission`` as a local batch, so the
same sandbox and limits apply inside the job, and its results appear atomically in the
shared output folder (``<out>/<submission>/results.json``, written last), with a JSON note
of how it ended (:func:`outcome_path`). The coordinator never reads what submitit pickles
back: it reads that note once a job has ended, and a job that ended without one (killed at
its time or memory limit, cancelled, a node lost) is a grader error that says which, with the
end of the job's log. Slurm jobs are followed with ``squeue`` (:class:`SlurmQueue`), not with
submitit's ``sacct`` watcher, so that a cluster without accounting neither hangs the batch on a
vanished job nor floods the console. At most ``jobs`` jobs are queued or running at once; a
rerun skips what is already graded, and waits for the jobs a killed coordinator left in the
queue (:func:`ledger_path`) instead of submitting them twice.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kit.files import atomic_write_text
from kit.grading.config import AssignmentConfig

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


def outcome_path(out: Path, ident: str) -> Path:
    """Where a job says how grading its submission ended (JSON; absent: the job died first)."""
    return out / JOBS_FOLDER / "outcomes" / f"{ident}.json"


@dataclass
class EndedJob:
    ident: str
    seconds: float
    stderr: str  # the end of the job's own log, for grader-error.log
    state: str
    reason: str = ""  # why it ended without a result, for the TA (empty: it left its note)


# Slurm states after which a job is over, as squeue shows them for MinJobAge seconds.
FINAL_STATES = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"}


class SlurmQueue:
    """What Slurm says about the TA's jobs, asked with ``squeue`` (one call per poll for all of them).

    Not submitit's watcher: it asks ``sacct``, which fails where accounting storage is off (many
    small clusters), and then keeps a job that has left the queue "pending" for ever while it
    prints two warnings per poll. Without accounting, a job that is no longer in ``squeue`` has
    ended; whether it ended well is what its outcome note in the shared folder says.
    """

    def __init__(self) -> None:
        self.accounting = self._accounting_on()

    @staticmethod
    def _run(*command: str) -> subprocess.CompletedProcess | None:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None

    def _accounting_on(self) -> bool:
        done = self._run("scontrol", "show", "config")
        found = re.search(r"^AccountingStorageType\s*=\s*(\S+)", done.stdout if done else "", re.MULTILINE)
        return bool(found) and found.group(1) not in ("accounting_storage/none", "(null)")

    def states(self) -> dict[str, str] | None:
        """Job id -> state of this user's jobs in the queue; None when squeue cannot answer (slurmctld
        restarting): then nothing is known, and no job is taken for lost."""
        done = self._run("squeue", "--me", "--noheader", "--format=%i %T")
        if done is None or done.returncode != 0:
            return None
        return dict(line.split(maxsplit=1) for line in done.stdout.splitlines() if len(line.split()) == 2)

    def final_state(self, job_id: str) -> str | None:
        """The state accounting recorded for a job that has left the queue (None without accounting)."""
        if not self.accounting:
            return None
        done = self._run("sacct", "--noheader", "--allocations", "--parsable2", "--format=State", f"--jobs={job_id}")
        if done is None or done.returncode != 0 or not done.stdout.strip():
            return None
        return done.stdout.split()[0]


def why_it_ended(job_id: str, state: str, log: str, options: ClusterOptions) -> str:
    """A job ended without its outcome note: what happened, in the TA's words, from its state and log."""
    # submitit asks Slurm for SIGUSR2 90 s before the time limit (--signal=USR2@90; Slurm may send it up to
    # a minute earlier), and a job that cannot be requeued then ends as "timed-out and not checkpointable".
    if state == "TIMEOUT" or "DUE TO TIME LIMIT" in log or "timed-out" in log:
        return f"Slurm job {job_id} was killed at its time limit (SLURM_TIME, here {options.time_min or 'the default'} min)"
    if state == "OUT_OF_MEMORY" or "Exceeded job memory limit" in log or "oom-kill" in log:
        return f"Slurm job {job_id} was killed over its memory limit (SLURM_MEM_GB={options.mem_gb})"
    if state in ("NODE_FAIL", "BOOT_FAIL") or "DUE TO NODE FAILURE" in log:
        return f"Slurm job {job_id} was lost with its node ({state})"
    if state == "PREEMPTED" or "DUE TO PREEMPTION" in log:
        return f"Slurm job {job_id} was preempted"
    if state == "CANCELLED" or re.search(r"JOB \d+ .*CANCELLED AT", log):
        return f"Slurm job {job_id} was cancelled (scancel, or by an administrator)"
    if state in FINAL_STATES:
        return f"Slurm job {job_id} ended {state} without a result"
    return (f"Slurm job {job_id} left the queue without a result: cancelled, its node lost or preempted "
            "(Slurm accounting is off here, so it cannot say which)")


def ledger_path(out: Path) -> Path:
    """Which submission is being graded by which queued Slurm job, so that a coordinator killed with
    jobs in the queue is followed by one that waits for those jobs instead of submitting them again."""
    return out / JOBS_FOLDER / "queued.json"


def _read_ledger(out: Path) -> dict[str, dict]:
    try:
        ledger = json.loads(ledger_path(out).read_text())
        return ledger if isinstance(ledger, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_ledger(out: Path, ledger: dict[str, dict]) -> None:
    atomic_write_text(ledger_path(out), json.dumps(ledger, indent=1))


def run_as_jobs(
    job: Callable, options: ClusterOptions, config: AssignmentConfig, todo: list[tuple[str, Path]], out: Path,
    view: Path | None, dataset: str, jobs: int, probe_jobs: int | None, say: Callable[[str], None] = print,
) -> Iterator[EndedJob]:
    """Submit ``todo`` as jobs running ``job`` (``batch.grade_in_job``: passed in, so that this module
    does not import the batch that imports it), at most ``jobs`` at a time; yield each one as it ends."""
    executor = make_executor(options, out / JOBS_FOLDER, config, dataset)
    if options.executor == "slurm":
        yield from _follow_slurm(job, executor, options, config, todo, out, view, dataset, jobs, say)
        return
    waiting = list(todo)
    running: dict[str, tuple[object, float]] = {}
    while waiting or running:
        while waiting and len(running) < max(1, jobs):
            ident, source = waiting.pop(0)
            outcome_path(out, ident).unlink(missing_ok=True)
            submitted = executor.submit(job, config.id, ident, source, out, view, dataset, probe_jobs)
            running[ident] = (submitted, time.monotonic())
        ended = [ident for ident, (submitted, _) in running.items() if submitted.done()]
        for ident in ended:
            submitted, started = running.pop(ident)
            yield EndedJob(ident, time.monotonic() - started, _tail(submitted.paths.stderr), submitted.state)
        if not ended:
            time.sleep(POLL_SECONDS[options.executor])


def _follow_slurm(job: Callable, executor, options: ClusterOptions, config: AssignmentConfig, todo: list[tuple[str, Path]],
                  out: Path, view: Path | None, dataset: str, jobs: int, say: Callable[[str], None]) -> Iterator[EndedJob]:
    queue = SlurmQueue()
    if not queue.accounting:
        say("Slurm accounting is off (sacct fails): jobs are followed with squeue; one that leaves the queue "
            "without a result is reported as lost")
    ledger = _read_ledger(out)
    queued = queue.states() or {}
    running: dict[str, dict] = {}  # ident -> {"job_id", "stderr", "started"}
    for ident, _ in todo:
        entry = ledger.get(ident)
        if entry and entry.get("job_id") in queued and queued[entry["job_id"]] not in FINAL_STATES:
            running[ident] = dict(entry, started=time.monotonic())
    if running:
        say(f"{len(running)} submission(s) still queued from an earlier run (Slurm job(s) "
            f"{', '.join(e['job_id'] for e in running.values())}): waiting for them, not submitting them again")
    waiting = [(ident, source) for ident, source in todo if ident not in running]
    while waiting or running:
        while waiting and len(running) < max(1, jobs):
            ident, source = waiting.pop(0)
            outcome_path(out, ident).unlink(missing_ok=True)
            submitted = executor.submit(job, config.id, ident, source, out, view, dataset, None)
            entry = {"job_id": str(submitted.job_id), "stderr": str(submitted.paths.stderr)}
            running[ident] = dict(entry, started=time.monotonic())
            ledger[ident] = entry
            _write_ledger(out, ledger)
        states = queue.states()
        ended = [] if states is None else [
            ident for ident, entry in running.items()
            if states.get(entry["job_id"], "GONE") in FINAL_STATES | {"GONE"}]
        for ident in ended:
            entry = running.pop(ident)
            ledger.pop(ident, None)
            _write_ledger(out, ledger)
            log = _tail(Path(entry["stderr"]))
            state = states.get(entry["job_id"]) or queue.final_state(entry["job_id"]) or "GONE"
            reason = "" if outcome_path(out, ident).is_file() else why_it_ended(entry["job_id"], state, log, options)
            yield EndedJob(ident, time.monotonic() - entry["started"], log, state, reason)
        if not ended:
            time.sleep(POLL_SECONDS["slurm"])


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-size:]
    except OSError:
        return ""
