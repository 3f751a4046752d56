"""`make validate`: variants are data that must apply to the current reference, and a small
subset is graded here (the whole set runs with `make validate`)."""

import json
import subprocess
import sys

import pytest

from kit.grading.config import REPO, assignments, load_config
from kit.validate.report import VariantOutcome, summarise
from kit.validate.variants import Edit, Variant, VariantError, apply_variant, load_variants, reference_folder

# Every assignment found: its minimum numbers of variants and the subset graded here are in its
# config.toml ([validation]), so a new assignment needs no change in this module.
ASSIGNMENTS = assignments()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_variant_applies_to_the_current_reference(assignment, tmp_path):
    config = load_config(assignment)
    variants = load_variants(config)
    assert sum(v.kind == "bug" for v in variants) >= config.validation.min_bugs
    assert sum(v.kind == "correct" for v in variants) >= config.validation.min_correct
    ids = {v.id for v in variants}
    assert set(config.validation.test_subset) <= ids, set(config.validation.test_subset) - ids
    reference = reference_folder(config)
    for variant in variants:
        target = apply_variant(variant, reference, tmp_path / variant.id)
        changed = [p.name for p in target.glob("*.py") if p.read_text() != (reference / p.name).read_text()]
        assert changed, f"{variant.id} changes nothing"


def test_a_variant_that_no_longer_applies_fails_naming_it(tmp_path):
    config = load_config("ex02_cnn")
    stale = Variant(id="stale_one", kind="bug", rule="r",
                    edit=[Edit(file="training_", find="this text is not in the reference", replace="x")])
    with pytest.raises(VariantError, match="stale_one no longer applies"):
        apply_variant(stale, reference_folder(config), tmp_path / "stale")


def test_summary_counts_caught_fair_and_failed_tests_per_bug():
    outcomes = [
        VariantOutcome("a", "bug", "r", 30.0, 36.0, ["1.1"], "1.1: x"),
        VariantOutcome("b", "bug", "r", 33.0, 36.0, ["2.4", "2.6"], "2.4: y"),
        VariantOutcome("c", "bug", "r", 36.0, 36.0, [], ""),
        VariantOutcome("d", "correct", "r", 36.0, 36.0, [], ""),
        VariantOutcome("e", "correct", "r", 35.0, 36.0, ["3.6"], "3.6: z"),
    ]
    summary = summarise(outcomes)
    assert (summary.bugs, summary.caught, summary.correct, summary.fair) == (3, 2, 2, 1)
    assert (summary.median_failed, summary.max_failed) == (1.5, 2)
    assert any("caught" in miss for miss in summary.misses()) and any("fair" in miss for miss in summary.misses())


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_subset_of_variants_meets_the_targets(assignment, tmp_path):
    subset = load_config(assignment).validation.test_subset
    process = subprocess.run(
        [sys.executable, "-m", "kit", "validate", "--assignment", assignment,
         "--out", str(tmp_path), "--only", *subset],
        cwd=REPO, capture_output=True, text=True, timeout=1800)
    report = json.loads((tmp_path / assignment / "validate.json").read_text())
    by_id = {v["id"]: v for v in report["variants"]}
    for variant_id in subset:
        outcome = by_id[variant_id]
        if outcome["kind"] == "bug":
            assert outcome["score"] < outcome["max_score"], f"{variant_id} was not caught"
            assert 1 <= len(outcome["failed_tests"]) <= 2, f"{variant_id} failed {outcome['failed_tests']}"
            assert outcome["first_feedback"], variant_id
        else:
            assert outcome["score"] == outcome["max_score"], f"{variant_id} lost points: {outcome['first_feedback']}"
    assert process.returncode == 0, process.stderr[-3000:]
    assert (tmp_path / assignment / "report.md").read_text().count("|") > 20
