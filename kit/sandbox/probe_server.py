"""Runs inside the sandbox (copied there as _probe_server.py): imports the heavy libraries once,
then runs each probe it is sent in a fork of itself, with that probe's own limits.

Why: a fresh ``python`` that imports torch costs about 1.2 s, and a submission runs six
probes. A fork of a process that has already imported torch starts in milliseconds.

Protocol (one JSON object per line): the trusted side writes ``{"box", "wall_seconds",
"rlimits", "output_bytes", "env"}`` on stdin (``rlimits``: ``Limits.rlimits()`` of
kit/sandbox/runner.py); the server answers on stdout with ``{"exit_code", "signal",
"timed_out", "seconds", "stdout", "stderr", "dropped"}`` once the probe and everything it
started are gone. What the probe found is in ``<box>/_out``, as with a one-shot run. The
trusted side keeps its own deadline: a server that stops answering (a student process can kill
it, it runs as the same user) is killed with its whole sandbox.

Each child: a new session, ``/dev/null`` as stdin, pipes as stdout and stderr (capped here),
its resource limits set before any student code runs. After each probe, every other process
in the sandbox is killed (in bubblewrap's PID namespace the only other one is its init, which
runs as root), and ``/tmp`` is emptied (but for the folders bubblewrap made there for its
mounts), so one probe cannot leave a process or a file behind for the next. The server itself
is not dumpable, so a student process cannot read its memory or open its file descriptors
through ``/proc``.

It must not import anything from ``kit``: the kit is not mounted in the sandbox.
"""

import ctypes
import importlib
import json
import os
import resource
import runpy
import selectors
import shutil
import signal
import stat
import sys
import time
import traceback

PR_SET_DUMPABLE = 4
CHUNK = 65536
# Trusted code the worker may put beside this file: run once, after the imports, so that every
# probe forks with it done (ex01: librosa's compiled numba functions, loaded in 0.65 s).
WARM_UP_FILE = "_warm_up.py"


def _not_dumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _child(request: dict, control: list[int], out_w: int, err_w: int) -> None:
    """In the fork: become the probe. Never returns."""
    code = 1
    try:
        os.setsid()
        for fd in control:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (null, out_w, err_w):
            os.close(fd)
        for name, value in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (value, value))
        os.environ.update(request["env"])
        box = request["box"]
        script = os.path.join(box, "_probe.py")
        os.chdir(box)
        sys.argv = [script]
        sys.path[0] = box
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _kill_the_rest(child: int, own_namespace: bool) -> None:
    """Kill every process a probe left: in our own PID namespace all but init and us, else its session."""
    if not own_namespace:
        try:
            os.killpg(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return
    me = os.getpid()
    for _ in range(100):  # a fork bomb may add processes while we sweep
        others = [pid for pid in _processes() if pid not in (1, me)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


def _processes() -> list[int]:
    """The live processes in /proc (a killed one stays there as a zombie until it is reaped)."""
    alive = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    state = handle.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                alive.append(int(name))
    return alive


def _tmp_entries(descend, root: str = "/tmp") -> list[tuple[str, bool]]:
    """(path, is a folder) of what is on ``root``'s own filesystem, parents first. Mount points
    (bubblewrap's read-only binds) are left out; ``descend(path)`` says which folders to enter."""
    try:
        device = os.lstat(root).st_dev
    except OSError:
        return []
    found, folders = [], [root]
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_dev != device:
                continue
            folder = stat.S_ISDIR(info.st_mode)
            found.append((entry.path, folder))
            if folder and descend(entry.path):
                folders.append(entry.path)
    return found


def _tmp_layout() -> frozenset[str]:
    """What bubblewrap put in /tmp before any probe: the folders leading to its read-only mounts
    when the kit or its Python lives under /tmp (a clone in /tmp/...). Empty otherwise."""
    return frozenset(path for path, _ in _tmp_entries(descend=lambda path: True))


def _empty_tmp(layout: frozenset[str], root: str = "/tmp") -> None:
    """Remove what probes left in ``root`` (/tmp, or the sandbox's private /dev/shm that
    DataLoader workers fill), also inside the layout's folders, which stay."""
    for path, folder in _tmp_entries(descend=lambda path: path in layout, root=root):
        if path in layout:
            continue
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def run(request: dict, control: list[int], own_namespace: bool, tmp_layout: frozenset[str]) -> dict:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        os.close(out_r)
        os.close(err_r)
        _child(request, control, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    cap = request["output_bytes"]
    kept = {out_r: bytearray(), err_r: bytearray()}
    dropped = {out_r: 0, err_r: 0}
    exited = os.pidfd_open(child)
    selector = selectors.DefaultSelector()
    for fd in (out_r, err_r, exited):
        selector.register(fd, selectors.EVENT_READ)
    deadline = started + request["wall_seconds"]
    timed_out = finished = False
    open_pipes = {out_r, err_r}
    while open_pipes or not finished:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        for key, _ in selector.select(timeout=remaining):
            fd = key.fd
            if fd == exited:
                finished = True
                selector.unregister(exited)
                # The probe is done; whatever it started must not hold the pipes open.
                _kill_the_rest(child, own_namespace)
                continue
            chunk = os.read(fd, CHUNK)
            if not chunk:
                selector.unregister(fd)
                open_pipes.discard(fd)
                continue
            room = max(cap - len(kept[fd]), 0)
            kept[fd] += chunk[:room]
            dropped[fd] += len(chunk) - min(room, len(chunk))
    _kill_the_rest(child, own_namespace)
    _, status = os.waitpid(child, 0)
    selector.close()
    for fd in (out_r, err_r, exited):
        os.close(fd)
    if own_namespace:  # then /tmp and /dev/shm are the sandbox's own
        _empty_tmp(tmp_layout)
        _empty_tmp(frozenset(), root="/dev/shm")
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "seconds": time.monotonic() - started,
        "stdout": kept[out_r].decode("utf-8", errors="replace"),
        "stderr": kept[err_r].decode("utf-8", errors="replace"),
        "dropped": [dropped[out_r], dropped[err_r]],
    }


def _run_warm_up_file() -> None:
    """Run the worker's warm-up, if it sent one. A failure costs only time (each probe then
    does the work itself), so it is reported on stderr and the server starts anyway."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WARM_UP_FILE)
    if os.path.isfile(path):
        try:
            runpy.run_path(path, run_name="_warm_up")
        except Exception:
            traceback.print_exc()


def main() -> None:
    own_namespace = sys.argv[1] == "own-pid-namespace"  # in bubblewrap's sandbox, with a private /tmp
    tmp_layout = _tmp_layout() if own_namespace else frozenset()
    for name in sys.argv[2:]:
        importlib.import_module(name)
    _not_dumpable()
    # The control channel moves off fds 0 and 1, which children get as /dev/null and pipes.
    control_in, control_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    _run_warm_up_file()  # after the move: nothing it prints can reach the control channel
    requests = os.fdopen(control_in, "r", encoding="utf-8")
    replies = os.fdopen(control_out, "w", encoding="utf-8")
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        reply = run(json.loads(line), [control_in, control_out], own_namespace, tmp_layout)
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
