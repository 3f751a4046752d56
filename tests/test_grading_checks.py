"""The check ladder, partial credit over scenarios, the failure decoder and probe schemas."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from pydantic import BaseModel

from kit.grading.checks import (GradingFailure, PartialCredit, ProbeSchemaError, Scenarios, check_dtype, check_exists,
                                check_shape, check_type, check_value, decode, describe_failure, fail)
from kit.grading.config import AUTOGRADER, REPO, load_config
from kit.grading.report import Summary, write_report


def test_ladder_says_got_and_expected():
    with pytest.raises(GradingFailure, match=r"has no 'best_epoch' key \(it has \['stop_epoch'\]\)"):
        check_exists({"stop_epoch": 3}, "best_epoch", "the dict returned by train()")
    with pytest.raises(GradingFailure, match="got True of type bool, expected int"):
        check_type(True, int, "conv_output_size(5, 3)")
    with pytest.raises(GradingFailure, match=r"has shape \(40, 65\), expected \(65, 40\); transpose"):
        check_shape((40, 65), (65, 40), "features", hint="transpose")
    with pytest.raises(GradingFailure, match="has dtype float32, expected an integer dtype"):
        check_dtype(np.dtype("float32"), "~iu", "label")
    check_dtype(np.dtype("int64"), "~iu", "label")
    with pytest.raises(GradingFailure, match=r"got 5, expected 6 \(epochs count from 1\)"):
        check_value(5, 6, "stop_epoch", why="epochs count from 1")


def test_scenarios_give_partial_credit_and_report_the_first_failure():
    scenarios = Scenarios("tables")
    for label, ok in (("a", True), ("b", False), ("c", True), ("d", False)):
        with scenarios.scenario(label):
            if not ok:
                fail(f"table {label} is wrong")
    with pytest.raises(PartialCredit) as raised:
        scenarios.verdict()
    assert raised.value.fraction == 0.5
    assert str(raised.value).startswith("table b is wrong\n(right for 2 of 4 tables)")


def test_scenarios_all_wrong_is_a_plain_failure_and_grader_errors_propagate():
    scenarios = Scenarios("settings")
    with scenarios.scenario("only"):
        fail("wrong")
    with pytest.raises(GradingFailure) as raised:
        scenarios.verdict()
    assert not isinstance(raised.value, PartialCredit)
    with pytest.raises(KeyError):  # a grader's own bug is not a student's failed scenario
        with Scenarios("x").scenario("y"):
            {}["missing"]


def test_describe_failure_is_the_one_decoder():
    text = describe_failure({"type": "ValueError", "message": "bad shape", "where": "File x, line 3"},
                            doing="MyCNNSystem(n_frames=77)")
    assert text == "MyCNNSystem(n_frames=77) raised ValueError: bad shape\nFile x, line 3"
    assert describe_failure(None, doing="train()") == "train() raised Error"


def test_decode_reports_a_schema_mismatch_as_the_graders_problem():
    class Response(BaseModel):
        cases: dict[str, int]

    assert decode(Response, {"cases": {"a": 1}}, probe="training").cases == {"a": 1}
    with pytest.raises(ProbeSchemaError, match="probe 'training': cases.a"):
        decode(Response, {"cases": {"a": "many"}}, probe="training")


def test_a_scenario_another_check_charges_counts_neither_way():
    from kit.grading.checks import NotApplicable, PartialCredit, Scenarios, fail

    scenarios = Scenarios("tables")
    with scenarios.scenario("a"):
        pass
    with scenarios.scenario("b"):
        raise NotApplicable("min_delta")
    with scenarios.scenario("c"):
        fail("wrong")
    with pytest.raises(PartialCredit) as raised:
        scenarios.verdict()
    assert raised.value.fraction == 0.5 and "(right for 1 of 2 tables)" in str(raised.value)


GRADER_OF_AN_ENDLESS_PROBE = '''
import pytest
from kit.grading.pytest_plugin import require
from kit.sandbox.runner import Limits, run_probe


@pytest.mark.points(2)
@pytest.mark.number("9.1")
def test_endless(tmp_path):
    """a probe that never ends"""
    probe = tmp_path / "endless.py"
    probe.write_text("import _probe_runtime as rt\\n\\n"
                     "def probe(request):\\n    while True:\\n        pass\\n\\nrt.main(probe)\\n")
    require(run_probe(probe, files={}, limits=Limits(wall_seconds=1)), "running your endless loop")
'''


def test_a_probe_stopped_by_its_time_limit_is_tagged_and_listed_under_timeouts(tmp_path):
    """From the sandbox's wall clock to the TA's report: require() fails the check as timed out, the
    scoring plugin tags it "timeout", and the report lists the submission under Timeouts (no
    example submission runs into a time limit: their endless loops are stopped by counted passes)."""
    graders = tmp_path / "graders"
    graders.mkdir()
    (graders / "test_endless.py").write_text(GRADER_OF_AN_ENDLESS_PROBE)
    results = tmp_path / "results.json"
    process = subprocess.run(
        [sys.executable, "-m", "pytest", str(graders), "-c", str(AUTOGRADER / "pytest.ini"), "--rootdir", str(graders),
         "-q", "--assignment", "ex02_cnn", "--submission", str(REPO / "assignments" / "ex02_cnn"),
         "--results-json", str(results)],
        capture_output=True, text=True, env=dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert results.is_file(), process.stdout[-2000:] + process.stderr[-2000:]
    (test,) = json.loads(results.read_text())["tests"]
    assert (test["number"], test["score"], test["tags"]) == ("9.1", 0, ["timeout"]), test
    assert test["output"].startswith("running your endless loop: your code did not finish within 1 s"), test["output"]
    summary = Summary(config=load_config("ex02_cnn"), documents={"ada_lovelace": json.loads(results.read_text())})
    assert summary.timeouts() == [("ada_lovelace", ["9.1"])]
    write_report(tmp_path / "report.md", summary)
    assert "## Timeouts\n\n- ada_lovelace: 9.1\n" in (tmp_path / "report.md").read_text()
