"""Stopping a child and everything it started, and children that stop when their parent does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group led by ``process`` (started with ``start_new_session=True``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def dies_with_parent(command: list[str]) -> list[str]:
    """``command`` wrapped so that the kernel kills it when the process that started it dies.

    A batch stopped with ``kill <pid>`` (not its whole group) would otherwise leave its
    grader subprocesses running on. Uses util-linux's ``setpriv --pdeathsig`` (Linux; the
    sandbox's bubblewrap needs Linux anyway); where it is missing, ``command`` is unchanged.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else list(command)


def available_cores() -> int:
    """The cores this process may run on (a Slurm job's or a container's share, not the machine's)."""
    return len(os.sched_getaffinity(0))
