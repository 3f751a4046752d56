"""The pytest plugin that turns hidden grader tests into scores (trusted side only).

Hidden graders are ordinary pytest tests with metadata beside them::

    @pytest.mark.points(2)
    @pytest.mark.number("2.1")
    def test_forward_shape(probe):
        '''Forward pass: (B, T, F) input gives (B, 1) logits'''   # the name students see

Graders never import student code: they call the ``probe`` fixture, which runs a probe
script in the sandbox and returns data. This plugin records every test's outcome with its
points and writes the Gradescope-schema results when the session ends.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kit.grading.checks import GradingFailure, PartialCredit, ProbeSchemaError, decode, fail
from kit.grading.config import AssignmentConfig, load_config
from kit.grading.results import TestResult, write_results
from kit.sandbox.runner import ProbeResult
from kit.sandbox.scheduler import ProbeOrder, ProbeScheduler

PROBE_LIBRARY = Path(__file__).resolve().parents[1] / "sandbox" / "probe_library"


# Errors a grader raises when a probe's response (untrusted data) is not what it expects.
UNTRUSTED_DATA_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


@dataclass
class GradingContext:
    """What the graders of one submission share: its files, the data view, and its probe runs.

    Which sandbox runs a probe (the submission's probe server, a one-shot sandbox, a prefetch on
    an idle core) is the sandbox's business: :class:`kit.sandbox.scheduler.ProbeScheduler`. This
    object says what to run: the assignment's probe scripts, with the student's files and the
    assignment's limits, once per distinct request.
    """

    config: AssignmentConfig
    submission: Path  # folder of the student's files, as staged by intake
    features: Path | None  # feature folder with training/ validation/ testing/ (labels!)
    dataset: str
    probe_jobs: int = 1
    _probes: dict[str, ProbeResult] = field(default_factory=dict)
    _pending: dict[str, Future] = field(default_factory=dict)
    _scheduler: ProbeScheduler | None = None

    def __post_init__(self) -> None:
        self._scheduler = ProbeScheduler(
            ceiling=self.config.worker_ceiling(), preload=self.config.preload, probe_jobs=self.probe_jobs,
            numba=self.config.numba_cache)

    def student_files(self) -> dict[str, Path]:
        files = {p.name: p for p in sorted(self.submission.glob("*.py"))}
        # Helpers are ours: a student's copy of them is replaced by the original. So are the
        # probes' support modules, which probes import beside the student's files: the kit's shared
        # ones (kit/sandbox/probe_library/) and the assignment's own (probes/_*.py, which win).
        files.update({p.name: p for p in self.config.helper_paths()})
        files.update({p.name: p for p in sorted(PROBE_LIBRARY.glob("_*.py"))})
        files.update({p.name: p for p in sorted((self.config.folder / "probes").glob("_*.py"))})
        return files

    def start(self) -> None:
        """Start the probe server now (it imports torch while pytest collects the graders)."""
        self._scheduler.start()

    def probe(
        self,
        name: str,
        request: dict[str, Any] | None = None,
        *,
        inputs: dict[str, Any] | None = None,
        folders: dict[str, Path] | None = None,
    ) -> ProbeResult:
        """Run ``autograder/<id>/probes/<name>.py`` once per distinct request."""
        key = self._key(name, request)
        pending = self._pending.pop(key, None)
        if pending is not None:
            self._probes[key] = pending.result()
        if key not in self._probes:
            self._probes[key] = self._scheduler.run(name, self._order(name, request, inputs, folders))
        return self._probes[key]

    def prefetch(
        self,
        name: str,
        request: dict[str, Any] | None = None,
        *,
        inputs: dict[str, Any] | None = None,
        folders: dict[str, Path] | None = None,
    ) -> None:
        """Start ``probe(name, request)`` now, in a sandbox of its own, if a core is free for it.

        The test that later asks for the same probe and request gets this run's result.
        With ``probe_jobs`` 1 nothing happens: the probe runs when it is asked for.
        """
        key = self._key(name, request)
        if key in self._pending or key in self._probes:
            return
        started = self._scheduler.prefetch(name, self._order(name, request, inputs, folders))
        if started is not None:
            self._pending[key] = started

    def close(self) -> None:
        self._scheduler.close()

    def _order(self, name: str, request, inputs, folders) -> ProbeOrder:
        return ProbeOrder(self.config.folder / "probes" / f"{name}.py", self.student_files(), request, inputs,
                          folders, self.config.limits_for(name, self.dataset))

    @staticmethod
    def _key(name: str, request: dict[str, Any] | None) -> str:
        return name + hashlib.sha256(json.dumps(request or {}, sort_keys=True).encode()).hexdigest()

    def numba_cache(self) -> Path | None:
        """The pre-compiled numba cache for the sandbox, when the config asks for one."""
        return self._scheduler.numba_cache()

    def settings(self, section: str) -> dict[str, Any]:
        return self.config.settings.get(section, {})


def require(result: ProbeResult, what: str, *, partial: bool = False, schema: type | None = None) -> dict[str, Any]:
    """The probe's response, or fail the test saying why the student's code gave none.

    With ``partial``, a probe stopped by its time limit still yields what it reported
    before it was stopped (probes checkpoint after each scenario). With ``schema`` (a
    pydantic model), the response is validated first: a mismatch is a ProbeSchemaError,
    reported as the grader's problem, not the student's.
    """
    if result.ok or (partial and result.status == "timeout" and result.response):
        if schema is not None:
            decode(schema, result.response, probe=what)
        return result.response
    fail(f"{what}: {result.describe()}", timed_out=result.status == "timeout")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kit grading")
    group.addoption("--assignment", required=True)
    group.addoption("--submission", required=True, type=Path)
    group.addoption("--features", type=Path, default=None)
    group.addoption("--dataset", default="embedded")
    group.addoption("--results-json", type=Path, required=True)
    group.addoption("--probe-jobs", type=int, default=1,
                    help="probes of this submission that may run at once (cores the batch leaves idle)")


def pytest_configure(config: pytest.Config) -> None:
    for marker in (
        "points(n): points the test is worth",
        "number(text): the test's number shown to students, e.g. '2.1'",
        "handout(text): the check as the handout's grading table states it (kit/grading/markers.py)",
        "visibility(v): Gradescope visibility (visible, hidden, after_due_date, after_published)",
        "last: run after the other tests (its probe was prefetched: the others run meanwhile)",
    ):
        config.addinivalue_line("markers", marker)
    config._kit_results = {}  # nodeid -> TestResult
    config._kit_started = time.monotonic()
    config._kit_grading = GradingContext(
        config=load_config(config.getoption("assignment")),
        submission=config.getoption("submission"),
        features=config.getoption("features"),
        dataset=config.getoption("dataset"),
        probe_jobs=max(1, config.getoption("probe_jobs")),
    )
    config._kit_grading.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    grading_context = getattr(config, "_kit_grading", None)
    if grading_context is not None:
        grading_context.close()


def grading_context(config: pytest.Config) -> GradingContext:
    """The submission's grading context, for a conftest's hooks (tests use the ``grading`` fixture)."""
    return config._kit_grading


@pytest.fixture(scope="session")
def grading(pytestconfig: pytest.Config) -> GradingContext:
    return grading_context(pytestconfig)


def _marker(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    return marker.args[0] if marker and marker.args else default


def _display_name(item: pytest.Item) -> str:
    doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
    name = doc[0].strip() if doc else item.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "{" in name:
        name = name.format(**{k: getattr(v, "label", v) for k, v in callspec.params.items()})
    return name


def pytest_collection_modifyitems(session, config, items) -> None:
    for item in items:
        if item.get_closest_marker("points") is None:
            raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.points: every grader test must")
    # Results are sorted by test number, so the order tests run in changes no output.
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    # A test's time includes its setup: a module fixture's probe run is charged to the first test using it.
    item._kit_seconds = getattr(item, "_kit_seconds", 0.0) + report.duration
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        points = float(_marker(item, "points", 0))
        passed = report.outcome == "passed"
        fraction = 1.0 if passed else 0.0
        if passed:
            output = "\n".join(text for _, _, text in getattr(item, "_kit_notes", []))
        elif call.excinfo is not None and call.excinfo.errisinstance(PartialCredit):
            fraction = call.excinfo.value.fraction
            output = str(call.excinfo.value)
        elif call.excinfo is not None and call.excinfo.errisinstance(GradingFailure):
            output = str(call.excinfo.value)
        elif call.excinfo is not None and call.excinfo.errisinstance(ProbeSchemaError):
            # A grader's own bug (or a forged response): never blamed on the student.
            output = ("The grader received data it did not expect from its own probe and could not judge "
                      "this check. This is not a mistake in your code as far as the grader can tell; "
                      f"please tell your TA (internal: {call.excinfo.value}).")
        elif call.excinfo is not None and call.excinfo.errisinstance(UNTRUSTED_DATA_ERRORS):
            # What came back from the sandbox is untrusted data; malformed data means the
            # student's code returned odd types or forged/clobbered the probe's response.
            output = (f"The grader could not make sense of what your code returned ({call.excinfo.typename}). "
                      "This happens when code returns unexpected types, writes files named response.json, "
                      "or exits during import; if yours does none of that, please tell your TA.")
        elif call.excinfo is not None:
            output = f"The grader hit an internal error ({call.excinfo.typename}); please tell your TA."
        else:
            output = report.longreprtext[-2000:]
        number = str(_marker(item, "number", ""))
        extra = dict(getattr(item, "_kit_extra", {}))
        timed_out = call.excinfo is not None and getattr(call.excinfo.value, "timed_out", False)
        grading_config = load_config(item.config.getoption("assignment"))
        item.config._kit_results[item.nodeid] = TestResult(
            name=_display_name(item),
            number=number,
            score=round(points * fraction, 2),
            max_score=points,
            output=output,
            visibility=grading_config.visibility_for(number, _marker(item, "visibility", "visible")),
            execution_time=round(item._kit_seconds, 2),
            tags=["timeout"] if timed_out else [],
            extra_data=extra,
        )
    return report


def attach(request: pytest.FixtureRequest, key: str, value: Any) -> None:
    """Keep JSON data with the test's result (``extra_data``), for the kit's pictures and reports."""
    request.node.__dict__.setdefault("_kit_extra", {})[key] = value


def note(request: pytest.FixtureRequest, text: str) -> None:
    """Attach a remark to a passing test's feedback (e.g. "accepted (B,) output")."""
    notes = request.node.__dict__.setdefault("_kit_notes", [])
    notes.append(("note", "", text))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    results = list(config._kit_results.values())
    write_results(
        config.getoption("results_json"),
        results,
        execution_time=time.monotonic() - config._kit_started,
    )
