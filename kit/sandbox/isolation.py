"""How a sandboxed process is isolated from the rest of the machine.

Three levels, strongest first (see DEVELOPERS.md, "Security"):

- ``bwrap-root``: we are root and bubblewrap is installed. New mount/PID/net/IPC/UTS
  namespaces with only the system libraries, the Python installation, the virtualenv and
  the staged folder mounted; then ``setpriv`` drops to a user of the sandbox's own
  (``SandboxUser``) with no capabilities.
- ``bwrap-user``: not root, bubblewrap works through an unprivileged user namespace.
- ``fallback-root``: no working bubblewrap, but we are root (e.g. inside a Docker-based
  autograder). The student process still drops to nobody, and :func:`protect` makes the
  grader's secret folders unreadable to it; it can read what any local user can.
- ``fallback``: no bubblewrap and not root. Only resource limits and a fresh folder; the
  process can read whatever the grading user can. A warning is printed once.
"""

from __future__ import annotations

import fcntl
import functools
import os
import pwd
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
# Where the staged folder appears inside the sandbox.
SANDBOX_ROOT = "/sandbox"
# As root, each sandbox runs as a user of its own from this pool (Debian leaves 65000-65533
# unallocated), so that its process limit (RLIMIT_NPROC, which counts a user's processes and
# threads on the whole machine) holds a fork bomb inside that sandbox: with one shared
# "nobody", a bomb in one submission's probe would stop every other sandbox from forking.
SANDBOX_UIDS = range(65100, 65500)
LEASES = Path("/run/lock/kit-sandbox-users")


@dataclass(frozen=True)
class Isolation:
    level: str  # "bwrap-root", "bwrap-user", "fallback-root" or "fallback"
    bwrap: str | None

    @property
    def drops_privileges(self) -> bool:
        return self.level in {"bwrap-root", "fallback-root"}

    @property
    def hides_files(self) -> bool:
        return self.level.startswith("bwrap")

    def preexec(self, uid: int = NOBODY) -> None:
        """In the child before exec: become the sandbox's user when no bubblewrap does it for us."""
        if self.level == "fallback-root":
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)


class SandboxUser:
    """The user a sandbox runs as, held for its lifetime: one of ``SANDBOX_UIDS`` no other sandbox on
    this machine holds (an flock on a file per user, so grader processes, threads and Slurm jobs on one
    node agree), or nobody where we cannot change users (not root)."""

    def __init__(self, isolation: Isolation):
        self.uid, self._lock = NOBODY, None
        if not isolation.drops_privileges:
            return
        LEASES.mkdir(parents=True, exist_ok=True, mode=0o700)
        for uid in SANDBOX_UIDS:
            if _has_account(uid):
                continue
            handle = open(LEASES / str(uid), "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.uid, self._lock = uid, handle
            return
        raise RuntimeError(f"all {len(SANDBOX_UIDS)} sandbox users are in use ({LEASES}): too many sandboxes at once")

    @property
    def own(self) -> bool:
        """True when no other process on the machine runs as this user (its process limit is the sandbox's)."""
        return self._lock is not None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


@functools.lru_cache(maxsize=None)
def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def protect(paths: list[Path]) -> None:
    """Without bubblewrap but as root, lock folders the student process must not read.

    Removing group/other permissions from a folder stops nobody from entering it; the
    grader (root) is unaffected. With bubblewrap nothing is needed: they are not mounted.
    """
    if detect().level != "fallback-root":
        return
    for path in paths:
        if path.exists():
            os.chmod(path, path.stat().st_mode & 0o700)


def _nobody_can_run_python() -> bool:
    def drop() -> None:
        Isolation("fallback-root", None).preexec(SANDBOX_UIDS[0])

    try:
        return subprocess.run([sys.executable, "-c", "import numpy"], preexec_fn=drop, cwd="/",
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _fallback(reason: str) -> Isolation:
    if os.geteuid() == 0 and _nobody_can_run_python():
        warnings.warn(f"{reason}: student code runs as nobody with resource limits, and the grader's "
                      "folders are locked, but it can read any file a local user can.", stacklevel=3)
        return Isolation("fallback-root", None)
    warnings.warn(f"{reason}: student code runs with resource limits only and can read files of the "
                  "grading user. Install bubblewrap (apt-get install bubblewrap) before grading real "
                  "submissions.", stacklevel=3)
    return Isolation("fallback", None)


def _python_mounts() -> list[Path]:
    """Folders the interpreter and its packages need, resolved through symlinks."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for entry in sys.path:
        if entry and Path(entry).is_dir() and "site-packages" in entry:
            paths.add(Path(entry).resolve())
    # Keep only top-most folders.
    result: list[Path] = []
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(kept) for kept in result):
            result.append(path)
    return result


@functools.lru_cache(maxsize=1)
def detect(force_fallback: bool = False) -> Isolation:
    if force_fallback or os.environ.get("KIT_SANDBOX") == "fallback":
        return _fallback("KIT_SANDBOX=fallback")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return _fallback("bubblewrap (bwrap) is not installed")
    level = "bwrap-root" if os.geteuid() == 0 else "bwrap-user"
    isolation = Isolation(level, bwrap)
    probe = subprocess.run(
        wrap(isolation, Path("/"), ["/bin/true"], writable=False),
        capture_output=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return _fallback(f"bubblewrap does not work here ({probe.stderr.decode(errors='replace').strip()})")
    return isolation


def wrap(isolation: Isolation, staged: Path, command: list[str], *, writable: bool = True,
         mount_at: str = SANDBOX_ROOT, symlinks: dict[str, str] | None = None, shm_mb: int | None = None,
         uid: int = NOBODY) -> list[str]:
    """The full argv that runs ``command`` inside the sandbox with ``staged`` (seen at
    ``mount_at``) as cwd; ``symlinks`` (path inside -> target) are made in the sandbox's root.

    ``shm_mb`` mounts a private, world-writable /dev/shm of that size: bubblewrap's ``--dev``
    leaves a root-owned 0755 folder there, in which the semaphores and shared tensors of
    PyTorch's DataLoader workers (``num_workers > 0``, the course template's default) cannot
    be created, so a correct loader failed with ``PermissionError`` as nobody."""
    if not isolation.hides_files:
        return command
    args = [
        isolation.bwrap or "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--dev", "/dev",
        "--perms", "1777", "--tmpfs", "/tmp",
        *(["--perms", "1777", "--size", str(shm_mb << 20), "--tmpfs", "/dev/shm"] if shm_mb else []),
        "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp",
    ]
    made: set[Path] = set()
    for path in _python_mounts():
        # bwrap creates missing parent folders as root-only; make them traversable.
        for parent in reversed(path.parents):
            if parent != Path("/") and parent not in made and not str(parent).startswith("/usr"):
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += ["--ro-bind", str(path), str(path)]
    bind = "--bind" if writable else "--ro-bind"
    args += [bind, str(staged), mount_at, "--chdir", mount_at]
    for link, target in (symlinks or {}).items():
        args += ["--symlink", target, link]
    if isolation.level == "bwrap-user":
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        return args + command
    # Root: bwrap keeps root only long enough for setpriv to drop to nobody for good.
    args += ["--cap-add", "CAP_SETUID,CAP_SETGID"]
    return args + [
        "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
    ] + command


def sandbox_path(isolation: Isolation, staged: Path) -> str:
    """How the staged folder is named from inside the sandbox."""
    return SANDBOX_ROOT if isolation.hides_files else str(staged)
