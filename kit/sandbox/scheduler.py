"""Which sandbox runs a probe: the submission's probe server, a one-shot sandbox, or a prefetch on a
core the batch leaves idle.

One submission's probes run in its probe server (:class:`kit.sandbox.worker.ProbeWorker`: torch
imported once, each probe a fresh fork with its own limits), or one-shot in a sandbox of their
own (:func:`kit.sandbox.runner.run_probe`) when the server cannot take their limits, did not
start, or died under a probe (then that probe runs again one-shot, so that a fault of the
machine costs the student nothing). ``probe_jobs`` > 1 lets :meth:`ProbeScheduler.prefetch`
start a long probe beside the others. The grading side (``kit.grading.pytest_plugin``) says
what to run; this module knows nothing of assignments.
"""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.sandbox.numba_cache import NUMBA_CACHE_ROOT, WARM_UP, warm_cache
from kit.sandbox.runner import Limits, ProbeResult, run_probe
from kit.sandbox.worker import ProbeWorker


@dataclass(frozen=True)
class ProbeOrder:
    """One probe run: the probe script, the files beside it, and its request, inputs and limits."""

    script: Path
    files: dict[str, Path]
    request: dict[str, Any] | None
    inputs: dict[str, Any] | None
    folders: dict[str, Path] | None
    limits: Limits

    def arguments(self) -> dict[str, Any]:
        return dict(files=self.files, request=self.request, inputs=self.inputs, folders=self.folders,
                    limits=self.limits)


class ProbeScheduler:
    """Runs one submission's probes: in its server when it can, one-shot otherwise."""

    def __init__(self, *, ceiling: Limits, preload: list[str], probe_jobs: int = 1, numba: bool = False):
        self.ceiling, self.preload, self.probe_jobs, self.numba = ceiling, preload, probe_jobs, numba
        self._worker: list[ProbeWorker | None] = []  # [] not started, [None] not usable
        self._numba_cache: list[Path | None] = []
        self._lock = threading.Lock()
        self._background: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the probe server now (it imports its preload while the graders are collected)."""
        with self._lock:
            self._server()

    def run(self, name: str, order: ProbeOrder) -> ProbeResult:
        """Run ``order`` in the server if it can take it, else one-shot."""
        return self._run(name, order, pooled=True)

    def prefetch(self, name: str, order: ProbeOrder) -> Future | None:
        """Start ``order`` now in a sandbox of its own if a core is free for it (None: it is not)."""
        if self.probe_jobs < 2:
            return None
        if self._background is None:
            self._background = ThreadPoolExecutor(max_workers=self.probe_jobs - 1, thread_name_prefix="prefetch")
        return self._background.submit(self._run, name, order, pooled=False)

    def close(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for worker in self._worker:
                if worker is not None:
                    worker.close()

    def numba_cache(self) -> Path | None:
        """The pre-compiled numba cache for the sandbox, when asked for (kit/sandbox/numba_cache.py)."""
        if not self.numba:
            return None
        if not self._numba_cache:
            self._numba_cache.append(warm_cache(NUMBA_CACHE_ROOT))
        return self._numba_cache[0]

    def _server(self) -> ProbeWorker | None:
        if not self._worker:
            worker = None
            if self.preload:
                try:
                    # With librosa's numba cache, the server also loads the compiled functions
                    # once, instead of each probe loading them again (0.65 s each, ex01).
                    numba = self.numba_cache()
                    worker = ProbeWorker(self.ceiling, self.preload, numba,
                                         warm_up=WARM_UP if numba is not None else None)
                except OSError as error:
                    warnings.warn(f"no probe server, every probe starts its own Python: {error}", stacklevel=2)
            self._worker.append(worker)
        return self._worker[0]

    def _run(self, name: str, order: ProbeOrder, *, pooled: bool) -> ProbeResult:
        if pooled:
            with self._lock:
                worker = self._server()
                if worker is not None and worker.accepts(order.limits):
                    try:
                        result = worker.run(order.script, **order.arguments())
                    except RuntimeError as error:  # the server did not start: one-shot runs from now on
                        warnings.warn(str(error), stacklevel=2)
                        self._worker[0] = None
                    else:
                        # The server died under this probe (the machine's OOM killer, a TA's kill, or the
                        # student's code): it runs again in a sandbox of its own, so that a fault of the
                        # machine costs no points; code that kills its own sandbox fails there too.
                        if not (worker.broken and result.status in {"crashed", "no_response"}):
                            return result
                        warnings.warn(f"the probe server died running {name}: run again on its own", stacklevel=2)
        return run_probe(order.script, **order.arguments(), numba_cache=self.numba_cache())
