"""A real one-node Slurm cluster for the tests of ``EXECUTOR=slurm`` (tests/test_slurm.py).

Debian's ``slurm-wlm`` and ``munge``, installed with apt when missing (as root), started with a
``slurm.conf`` written here into a private folder (``SLURM_CONF`` points the client commands at
it, so nothing under /etc/slurm changes), and stopped afterwards. Accounting storage stays off,
as on many small clusters: ``sacct`` fails, which is what the kit must cope with.
``ProctrackType=proctrack/linuxproc`` and ``TaskPlugin=task/none`` need no cgroups, so this runs
in a container; ``jobacct_gather/linux`` with ``OverMemoryKill`` lets Slurm kill a job over its
``--mem`` as a cgroup cluster would (``UsePss``: a forked process's shared pages count once, as
in a cgroup, not once per process, or a submission that forks would be killed for memory it shares).

:func:`unavailable` says why a cluster cannot be started here (not root, no apt), for the skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")


def _free_port() -> int:
    """A port of its own, so that a Slurm already running on the machine (6817, 6818) is not disturbed."""
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def unavailable() -> str | None:
    """Why a cluster cannot be started here, or None."""
    if shutil.which("slurmctld") and shutil.which("munged") and os.geteuid() == 0:
        return None
    if os.geteuid() != 0:
        return "the Slurm tests start slurmctld, slurmd and munged, which needs root (CI runs as root)"
    if not shutil.which("apt-get"):
        return "slurm-wlm and munge are not installed and there is no apt-get to install them"
    return None


def install() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", *PACKAGES]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"apt-get install {' '.join(PACKAGES)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 - 1024
    return 4096


@dataclass
class Cluster:
    folder: Path
    conf: Path
    node: str
    started: list[subprocess.Popen] = field(default_factory=list)
    munged_started: bool = False

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(command, env=dict(os.environ, **self.env), capture_output=True, text=True, timeout=60)

    def queue(self) -> list[str]:
        """Job ids in the queue (pending or running)."""
        return self.run("squeue", "-h", "-o", "%i").stdout.split()

    def wait_until_idle(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while self.queue() and time.monotonic() < deadline:
            time.sleep(1)

    def stop(self) -> None:
        for process in reversed(self.started):
            process.send_signal(signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.munged_started:
            subprocess.run(["pkill", "-u", "munge", "-x", "munged"], capture_output=True)


def _munge_running() -> bool:
    return subprocess.run(["munge", "-n"], capture_output=True).returncode == 0


def start(folder: Path) -> Cluster:
    """Install if needed and start munged, slurmctld and slurmd; returns once the node is idle."""
    install()
    folder.mkdir(parents=True, exist_ok=True)
    node = socket.gethostname()
    state, spool, logs = folder / "state", folder / "spool", folder / "log"
    for path in (state, spool, logs):
        path.mkdir(exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text(f"""\
ClusterName=kit-test
SlurmctldHost={node}
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill,UsePss
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=2
KillWait=5
InactiveLimit=0
SchedulerType=sched/backfill
SlurmctldTimeout=30
SlurmdTimeout=60
StateSaveLocation={state}
SlurmdSpoolDir={spool}
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={logs}/slurmctld.log
SlurmdLogFile={logs}/slurmd.log
NodeName={node} CPUs={os.cpu_count()} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
    cluster = Cluster(folder, conf, node)
    if not _munge_running():
        Path("/run/munge").mkdir(exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True, capture_output=True)
        cluster.munged_started = True
    env = dict(os.environ, SLURM_CONF=str(conf))
    # -D: in the foreground, so that stop() owns the processes; -i: ignore state from an older run.
    cluster.started.append(subprocess.Popen(["slurmctld", "-D", "-i", "-f", str(conf)], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1)
    cluster.started.append(subprocess.Popen(["slurmd", "-D", "-f", str(conf)], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = cluster.run("sinfo", "-h", "-o", "%T").stdout.strip()
        if state in ("idle", "mixed", "allocated"):
            return cluster
        time.sleep(1)
    cluster.stop()
    log = (logs / "slurmctld.log").read_text(errors="replace")[-1500:] if (logs / "slurmctld.log").exists() else ""
    raise RuntimeError(f"the one-node Slurm cluster did not come up (sinfo: {state!r}); slurmctld.log ends:\n{log}")
