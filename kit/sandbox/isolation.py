"""How a sandboxed process is isolated from the rest of the machine.

Three levels, strongest first (see DEVELOPERS.md, "Security"):

- ``bwrap-root``: we are root and bubblewrap is installed. New mount/PID/net/IPC/UTS
  namespaces with only the system libraries, the Python installation, the virtualenv and
  the staged folder mounted; then ``setpriv`` drops to nobody (65534) with no capabilities.
- ``bwrap-user``: not root, bubblewrap works through an unprivileged user namespace.
- ``fallback``: no bubblewrap. Only resource limits and a fresh folder; the process can
  read whatever the grading user can. A warning is printed once.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
# Where the staged folder appears inside the sandbox.
SANDBOX_ROOT = "/sandbox"


@dataclass(frozen=True)
class Isolation:
    level: str  # "bwrap-root", "bwrap-user" or "fallback"
    bwrap: str | None

    @property
    def drops_privileges(self) -> bool:
        return self.level == "bwrap-root"

    @property
    def hides_files(self) -> bool:
        return self.level != "fallback"


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
        return Isolation("fallback", None)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        warnings.warn(
            "bubblewrap (bwrap) is not installed: student code runs with resource limits only "
            "and can read files of the grading user. Install it (apt-get install bubblewrap) "
            "before grading real submissions.",
            stacklevel=2,
        )
        return Isolation("fallback", None)
    level = "bwrap-root" if os.geteuid() == 0 else "bwrap-user"
    isolation = Isolation(level, bwrap)
    probe = subprocess.run(
        wrap(isolation, Path("/"), ["/bin/true"], writable=False),
        capture_output=True,
        timeout=30,
    )
    if probe.returncode != 0:
        warnings.warn(
            f"bubblewrap does not work here ({probe.stderr.decode(errors='replace').strip()}); "
            "falling back to resource limits only.",
            stacklevel=2,
        )
        return Isolation("fallback", None)
    return isolation


def wrap(isolation: Isolation, staged: Path, command: list[str], *, writable: bool = True) -> list[str]:
    """The full argv that runs ``command`` inside the sandbox with ``staged`` as cwd."""
    if isolation.level == "fallback":
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
    args += [bind, str(staged), SANDBOX_ROOT, "--chdir", SANDBOX_ROOT]
    if isolation.level == "bwrap-user":
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        return args + command
    # Root: bwrap keeps root only long enough for setpriv to drop to nobody for good.
    args += ["--cap-add", "CAP_SETUID,CAP_SETGID"]
    return args + [
        "/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
        "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
    ] + command


def sandbox_path(isolation: Isolation, staged: Path) -> str:
    """How the staged folder is named from inside the sandbox."""
    return str(staged) if isolation.level == "fallback" else SANDBOX_ROOT
