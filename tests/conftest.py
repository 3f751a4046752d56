"""How the suite shares two cores (`make test` runs it with pytest-xdist, one worker per core).

- Every process of the suite uses one thread for torch, OpenMP and BLAS. Workers, the batches
  they start and the sandboxed probes already fill the cores; a library that starts
  a thread per core on top of that spins in its thread barriers instead of computing
  (measured: the student-path test took 94 s instead of 17 s beside another worker).
- Each worker owns its share of the cores (one of two): what it starts sees only those, as on
  a smaller machine, so a `kit grade` with the default JOBS and probe jobs runs one process
  per core. Without it the two workers' batches ran four trainings on two cores, and each
  took about 7% more CPU time (measured: the examples batch pinned to one core took 256 s
  at JOBS=1 and 273 s at JOBS=2), which a suite of trainings pays throughout.
- Work is handed to the workers in units, longest first (seconds measured with `pytest --durations`
  on 2 cores), so that xdist does not end with one worker still grading while the other is idle.
  A unit is a module (the Makefile's ``--dist loadfile``: its fixtures, the otter zips, are built
  once), except that the modules in ``SPLIT_BY_ASSIGNMENT`` are one unit per assignment: their
  fixtures are per assignment (one examples batch each), and together ex02's and ex03's batches are
  about 9 minutes of work, too much for one worker (``pytest_xdist_make_scheduler`` below). xdist's own
  ``--dist loadgroup`` would do it with ``xdist_group`` marks, but groups nothing with pytest 9.2
  and xdist 3.8 (xdist renames the node ids through ``item._nodeid``, which pytest no longer reads):
  every test of a group built its fixtures again, and `make test` graded each examples batch twice.
  ``--no-loadscope-reorder``: without it xdist reorders the units by their number of tests.
- Before the workers start, the embedded corpus's features are cached once, as `make data`
  does, instead of both workers computing them at the same time on a fresh clone; beside
  them, on the other core, the sandboxes' numba cache is built (kit/sandbox/numba_cache.py)
  if `make setup` did not build it already (it compiles librosa's numba functions for both).
"""

from __future__ import annotations

import os

import pytest

from kit.grading.config import assignments


for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

# Seconds of each unit in a `make test` run on 2 cores (--durations=80, 2026-12-07, at 3edc53b); a unit not
# listed here runs after these, in collection order. The whole suite: 11 min 6 s (11 min 37 s at dc02be0, with
# one unit per module and before the otter runs used the compiled numba cache).
UNIT_SECONDS = {
    "test_grading_examples.py[ex02_cnn]": 300, "test_grading_examples.py[ex03_intent]": 232,
    "test_slurm.py": 125, "test_validate.py[ex03_intent]": 88, "test_release_otter.py": 85,
    "test_release_otter.py[ex03_intent]": 79, "test_validate.py[ex02_cnn]": 67, "test_classroom.py": 68,
    "test_grading_faults.py": 47, "test_lms_batch.py": 45, "test_grading_examples.py[ex01_features]": 43,
    "test_grading_reference.py": 28, "test_student_path.py": 25, "test_release_otter.py[ex01_features]": 18,
    "test_grading_batch.py": 16, "test_sandbox.py": 14, "test_grading_gtzan.py": 12, "test_ex01_grading.py": 10,
    "test_validate.py[ex01_features]": 8,
}
# Modules whose assignment-parametrized tests are a unit per assignment (their other tests: one more unit).
SPLIT_BY_ASSIGNMENT = {"test_grading_examples.py", "test_validate.py", "test_release_otter.py"}
_ASSIGNMENTS = assignments()


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or ``module[assignment]`` (SPLIT_BY_ASSIGNMENT)."""
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if module in SPLIT_BY_ASSIGNMENT and nodeid.endswith("]"):
        parameters = nodeid[nodeid.rindex("[") + 1:-1].split("-")
        assignment = next((p for p in parameters if p in _ASSIGNMENTS), None)
        if assignment:
            return f"{module}[{assignment}]"
    return module


def pytest_collection_modifyitems(items):
    # Stable: the tests of a unit keep their order, and so do the units not in UNIT_SECONDS.
    items.sort(key=lambda item: -UNIT_SECONDS.get(unit_of(item.nodeid), 0))


@pytest.hookimpl(optionalhook=True)  # a run without xdist (-p no:xdist) has no such hook
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    class UnitScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return UnitScheduling(config, log)


def _own_share_of_the_cores(workerinput) -> None:
    """Pin this xdist worker, and so everything it starts, to a share of the cores of its own."""
    cores = sorted(os.sched_getaffinity(0))
    count, index = int(workerinput["workercount"]), int(workerinput["workerid"].removeprefix("gw"))
    if count <= len(cores):
        os.sched_setaffinity(0, cores[index::count])


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        _own_share_of_the_cores(config.workerinput)
    workers = getattr(config.option, "numprocesses", None)
    if workers and not hasattr(config, "workerinput"):  # the xdist controller, before any worker
        from concurrent.futures import ThreadPoolExecutor

        from kit.data.cache import prepare_dataset
        from kit.grading.cli import data_view
        from kit.grading.config import load_config
        from kit.sandbox.numba_cache import NUMBA_CACHE_ROOT, warm_cache

        # Without set-up's compiled numba functions (about 18 CPU-s each) both would compile
        # them: the features in this process, the sandboxes' cache in a subprocess. Every
        # assignment's grading view (ex03's two input kinds of its own corpus) is built here once,
        # not by two workers at the same time.
        with ThreadPoolExecutor(max_workers=1) as pool:
            sandbox_cache = pool.submit(warm_cache, NUMBA_CACHE_ROOT)
            prepare_dataset("embedded", progress=False)
            for assignment in assignments():
                data_view(load_config(assignment), "embedded", None)
            sandbox_cache.result()
