"""Runs inside the sandbox, next to the student's files (copied there as _probe_runtime.py).

It gives probes a small, fixed protocol: read the request, import the student's modules
with errors a student can act on, write a JSON response and ``.npy`` arrays. It must not
import anything from ``kit``: the kit is not mounted in the sandbox.
"""

from __future__ import annotations

import glob
import importlib.abc
import importlib.util
import json
import os
import random
import sys
import traceback

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "_out")
_arrays: list[str] = []


class StudentCodeError(Exception):
    """An error in the student's code, with a message meant for the student."""


def request() -> dict:
    with open(os.path.join(ROOT, "_request.json"), encoding="utf-8") as handle:
        return json.load(handle)


def load_input(name: str):
    import numpy as np

    return np.load(os.path.join(ROOT, "_inputs", f"{name}.npy"), allow_pickle=False)


def save_array(name: str, array) -> None:
    import numpy as np

    np.save(os.path.join(OUT, f"{name}.npy"), np.asarray(array), allow_pickle=False)
    _arrays.append(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass
    # torch only where the probe imported it (every probe that uses torch imports it at its top,
    # before main() seeds): importing it here would cost a probe that never uses it 1 s.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        torch.set_num_threads(int(os.environ.get("KIT_PROBE_THREADS", "1")))


def student_traceback(error: BaseException) -> str:
    """The traceback frames that belong to the student's files (not to the probe)."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(ROOT) and not os.path.basename(frame.filename).startswith("_probe")
    ]
    return "".join(traceback.format_list(frames[-4:])).rstrip()


def describe_error(error: BaseException) -> dict:
    message = str(error)
    if isinstance(error, NotImplementedError):
        message = message or "not implemented"
    return {"type": type(error).__name__, "message": message[:2000], "where": student_traceback(error)}


class _PrefixAlias(importlib.abc.MetaPathFinder):
    """Lets ``import my_cnn_system_<anything>`` find the submitted ``my_cnn_system_<name>.py``.

    Students rename the skeleton with their own name but often forget one import.
    """

    def __init__(self, prefix: str, path: str):
        self.prefix, self.path = prefix, path

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(self.prefix) and "." not in fullname:
            return importlib.util.spec_from_file_location(fullname, self.path)
        return None


def redirect_prefix(prefix: str, path: str) -> None:
    """From now on, ``import <prefix><anything>`` loads ``path`` instead of the student's file.

    For a stand-in (the kit's own module in place of a student's broken one): the finder goes
    first, and modules already imported under the prefix are forgotten.
    """
    for name in [n for n in sys.modules if n.startswith(prefix)]:
        del sys.modules[name]
    sys.meta_path.insert(0, _PrefixAlias(prefix, path))


def alias_prefix(prefix: str) -> None:
    """From now on, ``import <prefix><anything>`` finds the student's ``<prefix><name>.py`` (when
    there is exactly one), without importing it now: only code that imports it runs it."""
    try:
        path = find_student_file(prefix)
    except StudentCodeError:
        return
    sys.meta_path.append(_PrefixAlias(prefix, path))


def find_student_file(prefix: str) -> str:
    matches = sorted(glob.glob(os.path.join(ROOT, f"{prefix}*.py")))
    if len(matches) != 1:
        raise StudentCodeError(f"expected exactly one file named {prefix}<name>.py, found {len(matches)}")
    return matches[0]


def import_student(prefix: str, *, alias: bool = True):
    """Import the student's ``<prefix><name>.py``; errors become StudentCodeError.

    With ``alias``, ``import <prefix><anything>`` also finds the file, so that a forgotten
    rename does not fail every check; the check of ``main()`` imports without it.
    """
    path = find_student_file(prefix)
    name = os.path.splitext(os.path.basename(path))[0]
    if name in sys.modules:
        return sys.modules[name]
    if alias:
        sys.meta_path.append(_PrefixAlias(prefix, path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise StudentCodeError(
            f"{os.path.basename(path)} has a syntax error on line {error.lineno}: {error.msg}\n"
            f"    {(error.text or '').strip()}"
        ) from None
    except BaseException as error:  # SystemExit too: a script calling exit() at import
        del sys.modules[name]
        raise StudentCodeError(
            f"importing {os.path.basename(path)} failed: {type(error).__name__}: {error}{_process_limit_hint(error)}\n"
            f"{student_traceback(error)}{_missing_module_hint(error)}{_exit_at_import_hint(error)}"
        ) from None
    return module


def _process_limit_hint(error: BaseException) -> str:
    """fork() or a new thread refused (EAGAIN): the sandbox's process limit, not a fault of the machine."""
    if isinstance(error, BlockingIOError) or (isinstance(error, RuntimeError) and "can't start new thread" in str(error)):
        return (" (your code started more processes or threads than the grader allows: start none when the "
                "file is imported, and only the DataLoader workers you need)")
    return ""


def _exit_at_import_hint(error: BaseException) -> str:
    """A script part that runs when the file is imported (no main guard) and exits on the graders' command line."""
    if not isinstance(error, SystemExit):
        return ""
    return ("\nThe file exits while it is imported: its script part runs at import. Put it under "
            "`if __name__ == \"__main__\":` so that importing the file only defines its functions.")


def _missing_module_hint(error: BaseException) -> str:
    """For an import of a module that is neither installed nor submitted (a helper of the
    student's own, such as utils.py): only the files the handout names are graded."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return ""
    submitted = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "*.py"))
                       if not os.path.basename(p).startswith("_"))
    return (f"\nThere is no module {error.name!r} here: only the files you submit are graded "
            f"({', '.join(submitted)}), with the course's packages. Put what you need from "
            f"{error.name.split('.')[0]}.py into one of them, or import it under the name of a submitted file.")


class _CappedText:
    """A text stream that keeps the first ``limit`` characters written to it."""

    def __init__(self, limit: int):
        self.parts, self.size, self.limit = [], 0, limit

    def write(self, text: str) -> int:
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def value(self) -> str:
        return "".join(self.parts)


def run_script(prefix: str, args: list[str], *, watch=None, keep: int = 16384) -> dict:
    """Run the student's ``<prefix><name>.py`` as ``python <file> <args>`` would: as ``__main__``,
    from a working folder that is not its own, with its output captured (capped).

    ``watch`` is an optional ``sys.setprofile`` function (to see which functions the script
    calls). Returns ``{"file", "exit_code", "stdout", "stderr"}`` and ``"failure"`` when the
    script raised.
    """
    import contextlib
    import runpy

    script = find_student_file(prefix)
    report = {"file": os.path.basename(script), "exit_code": 0}
    elsewhere = os.path.join(ROOT, "_elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    sys.argv = [script, *args]
    out, err = _CappedText(keep), _CappedText(keep)
    os.chdir(elsewhere)
    try:
        sys.setprofile(watch)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        report["exit_code"] = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, int) and stop.code is not None:
            err.write(str(stop.code))
    except BaseException as error:
        report["exit_code"] = 1
        report["failure"] = describe_error(error)
    finally:
        sys.setprofile(None)
        os.chdir(ROOT)
    report.update(stdout=out.value(), stderr=err.value())
    return report


def checkpoint(payload: dict) -> None:
    """Write what is known so far: if the time limit stops the probe, this is what the grader gets."""
    respond(dict(payload, incomplete=True))


_PROBE_PID: list[int] = []  # the probe's own process, set by main() before any student code runs


def respond(payload: dict) -> None:
    if _PROBE_PID and os.getpid() != _PROBE_PID[0]:
        # A process the student's code forked (a fork bomb's children, a stray multiprocessing child)
        # reached the end of the probe: only the probe itself answers, or the copies race for the file.
        os._exit(0)
    payload = dict(payload, arrays=list(_arrays))
    tmp = os.path.join(OUT, "response.json.part")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, allow_nan=True, default=str)
    os.replace(tmp, os.path.join(OUT, "response.json"))


def main(probe) -> None:
    """Run ``probe(request) -> dict`` and write its answer, or the error it raised."""
    _PROBE_PID[:] = [os.getpid()]
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    try:
        req = request()
        seed_everything(int(req.get("seed", 0)))
        payload = probe(req)
    except StudentCodeError as error:
        payload = {"error": {"type": "StudentCodeError", "message": str(error), "where": ""}}
    except BaseException as error:
        payload = {"error": describe_error(error)}
    respond(payload)
    # Skip interpreter teardown: student atexit hooks and threads cannot change the answer.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
