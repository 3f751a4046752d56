"""The suite's own schedule (tests/conftest.py): what pytest-xdist hands one worker as a unit of work."""

from pathlib import Path

from conftest import UNIT_SECONDS, unit_of

from kit.grading.config import assignments

EXAMPLES = "tests/test_grading_examples.py::{test}[{assignment}]"


def test_each_assignments_examples_batch_is_a_unit_with_all_the_tests_that_read_it():
    ex02 = {unit_of(EXAMPLES.format(test=test, assignment="ex02_cnn"))
            for test in ("test_every_example_gets_its_golden_points_and_feedback", "test_hostile_submissions_gain_nothing",
                         "test_rerun_skips_graded_submissions")}
    assert ex02 == {"test_grading_examples.py[ex02_cnn]"}  # one batch, built once, for all of them
    ex03 = unit_of(EXAMPLES.format(test="test_every_example_gets_its_golden_points_and_feedback", assignment="ex03_intent"))
    assert ex03 == "test_grading_examples.py[ex03_intent]"  # free to run on the other worker


def test_other_tests_stay_with_their_module():
    # Not parametrized by an assignment: the otter zip the module's session fixture builds once.
    assert unit_of("tests/test_release_otter.py::test_flawed_examples_score_exactly_their_expected_points[syntax_error]") \
        == "test_release_otter.py"
    assert unit_of("tests/test_release_otter.py::test_reference_scores_full_marks") == "test_release_otter.py"
    # A module that is not split keeps its assignments together.
    assert unit_of("tests/test_skeletons.py::test_the_handout_grading_table_is_the_graders_markers_and_drift_is_caught"
                   "[ex02_cnn]") == "test_skeletons.py"


def test_every_timed_unit_names_a_module_and_assignment_that_exist():
    """A renamed module or assignment would silently lose its place in the longest-first order."""
    for unit in UNIT_SECONDS:
        module, _, assignment = unit.partition("[")
        assert (Path(__file__).parent / module).is_file(), unit
        assert not assignment or assignment.removesuffix("]") in assignments(), unit
