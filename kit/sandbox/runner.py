"""Run one probe on untrusted student code in a sandboxed child process.

A *probe* is a small trusted script that imports the student's files, exercises them and
writes what it observed to ``_out/response.json`` (plus ``.npy`` arrays). It runs in the
sandbox together with the student code, so it carries no expected values: the grader
compares on the trusted side. Everything the probe returns is parsed as data.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.sandbox import isolation as iso
from kit.processes import kill_group

RUNTIME = Path(__file__).with_name("probe_runtime.py")
MAX_RESPONSE_BYTES = 4 << 20
NUMBA_CACHE_FOLDER = "_numba_cache"  # where a pre-compiled numba cache is staged in the box
_ARRAY_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


# Address space a library may reserve without using it (CUDA torch: about 3.2 GB at import).
ADDRESS_HEADROOM_MB = 4096


class Limits(BaseModel):
    """Resource limits of one sandboxed run; also the schema of ``[limits.*]`` in config.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_seconds: float = Field(default=60.0, gt=0, description="wall-clock limit; the process group is killed")
    memory_mb: int = Field(default=3072, gt=0,
                           description="memory the code may allocate: heap and private mappings (RLIMIT_DATA)")
    output_kb: int = Field(default=32, gt=0, description="stdout and stderr kept for feedback; the rest is discarded")
    file_mb: int = Field(default=256, gt=0, description="largest single file the student code may write")
    threads: int = Field(default=1, gt=0, description="torch/BLAS threads, so parallel jobs do not fight over the cores")
    processes: int = Field(default=256, gt=0,
                           description="processes and threads the sandbox may run at once (RLIMIT_NPROC of its own "
                                       "user, as root): a fork bomb stops there")
    shm_mb: int = Field(default=256, gt=0,
                        description="size of the sandbox's private /dev/shm (DataLoader workers pass batches "
                                    "through it); part of memory_mb: the heap may use memory_mb - shm_mb")

    @model_validator(mode="after")
    def _shm_within_memory(self) -> Limits:
        if self.shm_mb >= self.memory_mb:
            raise ValueError(f"shm_mb ({self.shm_mb}) must be smaller than memory_mb ({self.memory_mb}): "
                             "the shared memory is part of the probe's memory")
        return self

    def rlimits(self, own_user: bool = False) -> dict[str, int]:
        """The resource limits of a probe process (name in :mod:`resource` -> bytes), set before
        any student code runs: by :func:`limit_child` for a one-shot probe, and by the probe
        server in each fork (it gets them in its request; it cannot import the kit).

        Memory is RLIMIT_DATA (heap and private writable mappings), not RLIMIT_AS: PyPI's torch
        (a CUDA build, what pip installs on most Linux machines) reserves about 3.2 GB of address
        space when imported and uses 0.8 GB, so under a 3 GB RLIMIT_AS every probe ran out of
        memory before any student code ran, and every student got 0. RLIMIT_DATA does not count
        shared mappings, so RLIMIT_AS stays as a backstop, ``ADDRESS_HEADROOM_MB`` higher.
        The sandbox's /dev/shm (a tmpfs of ``shm_mb``, which RLIMIT_DATA cannot see) is counted
        by taking its size off the heap's share, so that heap and shared memory together stay
        within ``memory_mb``.

        ``own_user``: the sandbox runs as a user of its own (``isolation.SandboxUser``), so that
        RLIMIT_NPROC, which counts all of a user's processes on the machine, is the sandbox's
        alone. Under the grading user's own id it would count the TA's processes too.
        """
        return {
            "RLIMIT_DATA": (self.memory_mb - self.shm_mb) << 20,
            "RLIMIT_AS": (self.memory_mb + ADDRESS_HEADROOM_MB) << 20,
            "RLIMIT_FSIZE": self.file_mb << 20,
            "RLIMIT_CORE": 0,
            **({"RLIMIT_NPROC": self.processes} if own_user else {}),
        }


@dataclass
class ProbeResult:
    status: str  # ok | error | timeout | memory | crashed | no_response | bad_response
    response: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    exit_code: int | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        """One paragraph for a student saying why their code produced no result."""
        if self.status == "ok":
            return "ran normally"
        if self.status == "timeout":
            return (
                f"your code did not finish within {self.limits.wall_seconds:.0f} s and was stopped "
                "(an endless loop, training at import time, or far too many epochs?)"
            )
        if self.status == "memory":
            return f"your code ran out of memory (limit {self.limits.memory_mb} MB)"
        if self.status == "error":
            error = self.response.get("error", {})
            kind = error.get("type", "Error")
            # StudentCodeError carries a message written for the student; its name is ours.
            text = (str(error.get("message", "")) if kind == "StudentCodeError"
                    else f"{kind}: {error.get('message', '')}").strip()
            if kind == "BlockingIOError":  # fork() refused: the sandbox's process limit
                text += (f" (your code started more processes or threads than the grader allows, "
                         f"{self.limits.processes})")
            where = error.get("where")
            return f"{text}\n{where}" if where else text
        tail = self.stderr.strip().splitlines()[-8:]
        detail = ("\n" + "\n".join(tail)) if tail else ""
        if self.status == "crashed":
            return f"your code crashed (exit code {self.exit_code}){detail}"
        if self.status == "no_response":
            return f"your code exited before the grader could collect results (exit code {self.exit_code}){detail}"
        return f"the grader could not read the results of your code ({self.status}){detail}"


class _CappedReader(threading.Thread):
    """Drains a pipe, keeping only the first ``limit`` bytes (output is capped, never blocks)."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self.stream, self.limit = stream, limit
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        while chunk := self.stream.read(65536):
            room = self.limit - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        return kept_text(self.kept.decode("utf-8", errors="replace"), self.dropped)


def kept_text(kept: str, dropped: int) -> str:
    """Captured output as the student reads it: what was kept, and how much was not."""
    return kept + (f"\n[... {dropped} more bytes of output not kept]" if dropped else "")


def limit_child(limits: Limits, isolation: iso.Isolation, user: iso.SandboxUser):
    def apply() -> None:
        for name, value in limits.rlimits(own_user=user.own).items():
            resource.setrlimit(getattr(resource, name), (value, value))
        isolation.preexec(user.uid)

    return apply


def compute_settings(threads: int) -> dict[str, str]:
    """How student code computes in a probe: its threads per library, and glibc's malloc. The
    bench's bare train-and-test (kit/bench/grading.py) runs with the same, to price grading alone.

    glibc's malloc hands blocks over 128 KB back to the kernel when they are freed (and trims
    the heap's free top early), so each training step page-faulted its activations in anew: 10
    epochs of the reference took 2.82 CPU-s and 240k page faults; with blocks under 32 MB kept
    in the heap and up to 128 MB of it kept free, 2.53 and 73k (peak memory 376 and 372 MB).
    What student code computes is the same; ``RLIMIT_DATA`` counts the kept heap as before.
    """
    return {
        **{name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728",
    }


def probe_environment(limits: Limits, box_inside: str, isolation: iso.Isolation,
                      numba_cache: str | None = None) -> dict[str, str]:
    """The whole environment of a probe (nothing of the grader's is passed on)."""
    threads = str(limits.threads)
    return {
        **compute_settings(limits.threads),
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp" if isolation.hides_files else box_inside,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "KIT_PROBE_THREADS": threads,
        "MPLBACKEND": "Agg",
        # A folder the sandboxed user can write (the sandbox's /tmp is root's): numba needs one.
        "NUMBA_CACHE_DIR": numba_cache or f"{box_inside}/{NUMBA_CACHE_FOLDER}",
    }


def stage_box(
    box: Path,
    probe: Path,
    files: dict[str, Path],
    request: dict[str, Any],
    inputs: dict[str, np.ndarray],
    folders: dict[str, Path],
) -> None:
    for name, source in files.items():
        shutil.copyfile(source, box / name)
    for name, source in folders.items():
        shutil.copytree(source, box / name)
    shutil.copyfile(RUNTIME, box / "_probe_runtime.py")
    shutil.copyfile(probe, box / "_probe.py")
    (box / "_inputs").mkdir()
    for name, array in inputs.items():
        np.save(box / "_inputs" / f"{name}.npy", np.asarray(array), allow_pickle=False)
    (box / "_request.json").write_text(json.dumps(request))
    (box / "_out").mkdir()


def hand_over(folder: Path, isolation: iso.Isolation, user: iso.SandboxUser) -> None:
    """Make a staged folder the sandboxed user's (a user of its own when we are root)."""
    if isolation.drops_privileges:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, user.uid, user.uid, follow_symlinks=False)


def _read_response(out: Path) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    path = out / "response.json"
    if not path.is_file():
        return "no_response", {}, {}
    if path.stat().st_size > MAX_RESPONSE_BYTES:
        return "bad_response", {}, {}
    try:
        response = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(response, dict):
            raise ValueError("response is not an object")
        arrays = {}
        for name in response.get("arrays", []):
            if not isinstance(name, str) or not set(name) <= _ARRAY_NAME_CHARS:
                raise ValueError(f"bad array name {name!r}")
            arrays[name] = np.load(out / f"{name}.npy", allow_pickle=False)
    except (ValueError, OSError, json.JSONDecodeError):
        return "bad_response", {}, {}
    if "error" in response:
        error = response["error"]
        memory = isinstance(error, dict) and error.get("type") == "MemoryError"
        return ("memory" if memory else "error"), response, arrays
    return "ok", response, arrays


def run_probe(
    probe: Path,
    *,
    files: dict[str, Path],
    request: dict[str, Any] | None = None,
    inputs: dict[str, np.ndarray] | None = None,
    folders: dict[str, Path] | None = None,
    limits: Limits = Limits(),
    numba_cache: Path | None = None,
) -> ProbeResult:
    """Run ``probe`` in a fresh sandbox holding ``files`` (name -> source) and ``folders``.

    ``request`` is JSON handed to the probe; ``inputs`` are arrays it can load by name.
    ``numba_cache`` (see :mod:`kit.sandbox.numba_cache`) is copied into the box and used as
    ``NUMBA_CACHE_DIR``, so librosa does not compile its numba functions on every run.
    Nothing else of the machine is visible when bubblewrap is available.
    """
    isolation = iso.detect()
    user = iso.SandboxUser(isolation)
    try:
        return _run_one_shot(probe, isolation, user, files, request, inputs, folders, limits, numba_cache)
    finally:
        user.release()


def _run_one_shot(probe: Path, isolation: iso.Isolation, user: iso.SandboxUser, files, request, inputs, folders,
                  limits: Limits, numba_cache: Path | None) -> ProbeResult:
    with tempfile.TemporaryDirectory(prefix="kit-sandbox-") as tmp:
        # Without bubblewrap, nobody must be able to walk into its own box (but not list tmp).
        os.chmod(tmp, 0o711 if isolation.level == "fallback-root" else 0o700)
        box = Path(tmp) / "box"
        box.mkdir()
        stage_box(box, probe, files, request or {}, inputs or {}, folders or {})
        if numba_cache is not None and Path(numba_cache).is_dir():
            shutil.copytree(numba_cache, box / NUMBA_CACHE_FOLDER)
        else:
            (box / NUMBA_CACHE_FOLDER).mkdir()
        hand_over(box, isolation, user)
        inside = iso.sandbox_path(isolation, box)
        command = iso.wrap(isolation, box, [sys.executable, "-E", "-s", "-B", f"{inside}/_probe.py"],
                           shm_mb=limits.shm_mb, uid=user.uid)
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=box,
            env=probe_environment(limits, inside, isolation),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limit_child(limits, isolation, user),
            start_new_session=True,
        )
        readers = [_CappedReader(process.stdout, limits.output_kb << 10),
                   _CappedReader(process.stderr, limits.output_kb << 10)]
        for reader in readers:
            reader.start()
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(process)
            process.wait()
        for reader in readers:
            reader.join(timeout=5)
        seconds = time.monotonic() - started
        return conclude(box, timed_out=timed_out, exit_code=process.returncode, stdout=readers[0].text(),
                        stderr=readers[1].text(), seconds=seconds, limits=limits)


def conclude(box: Path, *, timed_out: bool, exit_code: int | None, stdout: str, stderr: str,
             seconds: float, limits: Limits) -> ProbeResult:
    """What a finished (or stopped) probe run amounts to, from its box's ``_out`` and how it ended."""
    if timed_out:
        # What the probe checkpointed before it was stopped (scenarios it finished) is kept.
        _, response, arrays = _read_response(box / "_out")
        status = "timeout"
    else:
        status, response, arrays = _read_response(box / "_out")
        if status in {"no_response", "bad_response"} and _looks_like_memory(stderr):
            status = "memory"
        elif status == "no_response" and exit_code not in (0, None):
            status = "crashed"
    return ProbeResult(status, response, arrays, stdout, stderr, seconds, exit_code, limits)


def _looks_like_memory(stderr: str) -> bool:
    lowered = stderr.lower()
    return any(s in lowered for s in ("memoryerror", "cannot allocate memory", "bad_alloc", "defaultcpuallocator"))
