"""Stopping a child and everything it started (it runs in its own session / process group)."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group led by ``process`` (started with ``start_new_session=True``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
