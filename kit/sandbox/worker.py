"""One sandbox per submission that imports torch once and runs the probes in turn (trusted side).

:func:`kit.sandbox.runner.run_probe` starts a new sandbox and a new Python for every probe;
with six probes per ex02 submission, about 1.2 s each goes to importing torch. A
:class:`ProbeWorker` starts one sandbox holding ``probe_server.py``, which imports the
configured modules once and forks one child per probe. Each child gets the probe's own wall
clock, memory and output limits (the server applies them; see its docstring), and the
response is read from the box exactly as after a one-shot run (:func:`runner.conclude`).

The server runs as the same user as the student code, so a student process can kill it.
That costs only this submission's remaining speed: :meth:`ProbeWorker.run` then returns the
probe's result as a crash (or timeout) and the worker is ``broken``; the caller runs the
remaining probes one-shot. The trusted side keeps its own deadline for every probe.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kit.processes import kill_group
from kit.sandbox import isolation as iso
from kit.sandbox.probe_server import WARM_UP_FILE
from kit.sandbox.runner import (NUMBA_CACHE_FOLDER, Limits, ProbeResult, _CappedReader, conclude, hand_over,
                                kept_text, limit_child, probe_environment, stage_box)

SERVER = Path(__file__).with_name("probe_server.py")
STARTUP_SECONDS = 120.0  # importing torch takes about 1 s; a loaded machine may take far longer
GRACE_SECONDS = 20.0  # beyond a probe's wall limit, for the server to clean up and answer
MAX_REPLY_BYTES = 1 << 20
BOXES = "/boxes"  # where the worker's folder of boxes is mounted inside the sandbox
CURRENT = "current"  # the symlink to the running probe's box


class _Reply(BaseModel):
    exit_code: int
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    dropped: tuple[int, int]


class ProbeWorker:
    """A sandboxed Python with ``preload`` imported, forking one child per probe.

    ``ceiling``: the largest limits any probe run here may have (the children can only
    lower the server's own). A probe whose limits exceed it, or need another thread count,
    is :meth:`accepts`-refused and belongs to a one-shot run. ``warm_up``: trusted Python
    the server runs once after the imports, before the first fork (see ``WARM_UP_FILE``).
    """

    def __init__(self, ceiling: Limits, preload: list[str], numba_cache: Path | None = None,
                 warm_up: str | None = None):
        self.ceiling = ceiling
        self.isolation = iso.detect()
        self.user = iso.SandboxUser(self.isolation)
        self.broken = False
        self._tmp = tempfile.TemporaryDirectory(prefix="kit-worker-")
        os.chmod(self._tmp.name, 0o711 if self.isolation.level == "fallback-root" else 0o700)
        self.root = Path(self._tmp.name) / "root"
        self.root.mkdir()
        shutil.copyfile(SERVER, self.root / "_probe_server.py")
        if warm_up:
            (self.root / WARM_UP_FILE).write_text(warm_up, encoding="utf-8")
        numba = self.root / NUMBA_CACHE_FOLDER
        if numba_cache is not None and Path(numba_cache).is_dir():
            shutil.copytree(numba_cache, numba)
        else:
            numba.mkdir()
        hand_over(numba, self.isolation, self.user)  # the root itself stays ours: nothing can be planted beside the boxes
        # Every probe's box is seen at one path, as a one-shot box is (/sandbox with bubblewrap):
        # "current" points at the running probe's box, so tracebacks in the feedback name
        # /sandbox/training_ada.py, never a random folder.
        if self.isolation.hides_files:
            self.inside = BOXES
            self.box_path = iso.SANDBOX_ROOT
            symlinks = {iso.SANDBOX_ROOT: f"{BOXES}/{CURRENT}"}
        else:
            self.inside = str(self.root)
            self.box_path = str(self.root / CURRENT)
            symlinks = {}
        self.environment = probe_environment(ceiling, self.box_path, self.isolation,
                                             numba_cache=f"{self.inside}/{NUMBA_CACHE_FOLDER}")
        mode = "own-pid-namespace" if self.isolation.hides_files else "shared"
        command = iso.wrap(self.isolation, self.root,
                           [sys.executable, "-E", "-s", "-B", f"{self.inside}/_probe_server.py", mode, *preload],
                           mount_at=self.inside, symlinks=symlinks, shm_mb=ceiling.shm_mb, uid=self.user.uid)
        self._process = subprocess.Popen(
            command, cwd=self.root, env=self.environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, preexec_fn=limit_child(ceiling, self.isolation, self.user), start_new_session=True)
        self._errors = _CappedReader(self._process.stderr, 16 << 10)
        self._errors.start()
        self._replies: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()
        self._ready = False

    def _read_replies(self) -> None:
        while line := self._process.stdout.readline(MAX_REPLY_BYTES):
            self._replies.put(line)
        self._replies.put(b"")  # the server is gone

    def _next_reply(self, timeout: float) -> dict[str, Any] | None:
        try:
            line = self._replies.get(timeout=timeout)
            return json.loads(line) if line.endswith(b"\n") else None
        except (queue.Empty, ValueError):
            return None

    def accepts(self, limits: Limits) -> bool:
        return (not self.broken and limits.threads == self.ceiling.threads
                and limits.memory_mb <= self.ceiling.memory_mb and limits.file_mb <= self.ceiling.file_mb
                and limits.shm_mb <= self.ceiling.shm_mb)

    def run(
        self,
        probe: Path,
        *,
        files: dict[str, Path],
        request: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        folders: dict[str, Path] | None = None,
        limits: Limits = Limits(),
    ) -> ProbeResult:
        """Run one probe in a fork of the server; the arguments are those of ``run_probe``."""
        if not self.accepts(limits):
            raise ValueError("this probe's limits need a one-shot run (check accepts() first)")
        if not self._ready:
            self._ready = (self._next_reply(STARTUP_SECONDS) or {}).get("ready") is True
            if not self._ready:
                self.close()
                raise RuntimeError(f"the probe server did not start:\n{self._errors.text()}")
        box = self.root / secrets.token_hex(8)
        box.mkdir()
        stage_box(box, probe, files, request or {}, inputs or {}, folders or {})
        hand_over(box, self.isolation, self.user)
        pointer = self.root / f".{CURRENT}-{box.name}"
        pointer.symlink_to(box.name)
        os.replace(pointer, self.root / CURRENT)
        environment = probe_environment(limits, self.box_path, self.isolation,
                                        numba_cache=self.environment["NUMBA_CACHE_DIR"])
        order = {"box": self.box_path, "wall_seconds": limits.wall_seconds, "rlimits": limits.rlimits(own_user=self.user.own),
                 "output_bytes": limits.output_kb << 10, "env": environment}
        try:
            self._process.stdin.write((json.dumps(order) + "\n").encode())
            self._process.stdin.flush()
            raw = self._next_reply(limits.wall_seconds + GRACE_SECONDS)
        except OSError:
            raw = None
        try:
            reply = _Reply.model_validate(raw)
        except ValidationError:
            # Killed by the student's code, stuck, or answering nonsense: it serves no one else.
            timed_out = self._process.poll() is None
            if timed_out:
                kill_group(self._process)
            self._process.wait()
            result = conclude(box, timed_out=timed_out, exit_code=self._process.returncode, stdout="",
                              stderr=self._errors.text(), seconds=limits.wall_seconds if timed_out else 0.0,
                              limits=limits)
            self.close()
            return result
        result = conclude(box, timed_out=reply.timed_out, exit_code=reply.exit_code,
                          stdout=kept_text(reply.stdout, reply.dropped[0]),
                          stderr=kept_text(reply.stderr, reply.dropped[1]), seconds=reply.seconds, limits=limits)
        shutil.rmtree(box, ignore_errors=True)  # read: the next probe does not see it, and the disk is freed
        return result

    def close(self) -> None:
        """Stop the server and its sandbox (idempotent)."""
        self.broken = True
        if self._process.poll() is None:
            kill_group(self._process)
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._tmp.cleanup()
        self.user.release()

    def __enter__(self) -> ProbeWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
