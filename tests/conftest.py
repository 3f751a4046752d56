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
- Modules run longest first (durations measured with `pytest --durations=0` on 2 cores), so
  that xdist does not end with one worker still grading the examples while the other is idle.
  The Makefile passes ``--dist loadfile``: a module's tests run in one worker, so its fixtures
  (one examples batch per assignment, the otter zips) are built once. ``--dist loadgroup``, which
  would let two assignments' batches of one module run on both cores, does not group anything
  with pytest 9.2 and xdist 3.8 (xdist renames the node ids through ``item._nodeid``, which
  pytest no longer reads): every test of a group built its fixtures again, and `make test` graded
  each examples batch twice (22 min instead of about 14). ``--no-loadscope-reorder``: without it
  xdist reorders the modules by their number of tests.
- Before the workers start, the embedded corpus's features are cached once, as `make data`
  does, instead of both workers computing them at the same time on a fresh clone; beside
  them, on the other core, the sandboxes' numba cache is built (kit/sandbox/numba_cache.py)
  if `make setup` did not build it already (it compiles librosa's numba functions for both).
"""

from __future__ import annotations

import os

from kit.grading.config import assignments


for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

# Seconds in a `make test` run on 2 cores (--durations=40, 2026-12-07, at 0c8c1fc): the examples' batches
# 632 (ex01 51, ex02 331, ex03 250), otter 251 (ex03's release 117, ex01's 52, ex02's zip 82), validate 180
# (ex03 95, ex02 76), Slurm 130, class 74, LMS 45, faults 45, reference seeds 31, student path 25. The whole
# suite: 12 min 40 s (12 min 14 s on a fresh clone); 15 to 16 min before ex03's cheaper reference (57633d6).
LONGEST_FIRST = [
    "test_grading_examples.py", "test_slurm.py", "test_release_otter.py", "test_validate.py", "test_lms_batch.py",
    "test_classroom.py", "test_grading_faults.py", "test_ex01_grading.py", "test_grading_reference.py",
    "test_student_path.py", "test_sandbox.py", "test_grading_batch.py", "test_grading_gtzan.py",
]


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


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
