"""Children that must not outlive the process that started them (kit/processes.py)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from kit.processes import dies_with_parent

PARENT = """
import subprocess, sys
from kit.processes import dies_with_parent
child = subprocess.Popen({command!r})
print(child.pid, flush=True)
child.wait()
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


@pytest.mark.parametrize("wrapped", [True, False])
def test_a_wrapped_child_dies_with_its_parent(wrapped):
    command = dies_with_parent(["sleep", "60"]) if wrapped else ["sleep", "60"]
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(command=command)], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 5
    while _name(child) != "sleep" and time.monotonic() < deadline:  # set up and exec'd (setpriv runs first)
        time.sleep(0.01)
    parent.kill()  # the parent alone, as `kill -9 <batch pid>` does
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = _alive(child)
    if survived:
        os.kill(child, signal.SIGKILL)
    # The unwrapped control shows what the wrapper prevents: an orphan left running.
    assert survived is not wrapped
