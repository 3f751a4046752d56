"""ex01's configuration and examples are complete (the examples' goldens are checked with every
assignment's in tests/test_grading_examples.py).

Golden files: ``autograder/examples/ex01_features/<example>/expected.json`` =
``{"total": points, "tests": {"<test number>": points}}``, checked against each README's intent.
"""

from __future__ import annotations

import json
from pathlib import Path


from kit.grading.config import load_config
from kit.grading.examples import example_sources

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "autograder" / "examples" / "ex01_features"
EXAMPLE_IDS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
REQUIRED_EXAMPLES = {"reference", "skeleton", "no_log", "transposed", "native_sample_rate", "serializer_writes_nothing"}


def test_config_and_examples_are_complete():
    config = load_config("ex01_features")
    assert not config.needs_features and config.datasets == ["embedded"]
    assert REQUIRED_EXAMPLES <= set(EXAMPLE_IDS)
    for example in EXAMPLE_IDS:
        folder = EXAMPLES / example
        readme = (folder / "README.md").read_text().strip().splitlines()
        assert 1 <= len(readme) <= 3, f"{example}/README.md should be 1-3 lines"
        expected = json.loads((folder / "expected.json").read_text())
        assert expected["total"] == sum(expected["tests"].values()), example
    sources = dict(example_sources(config))
    assert sources["reference"] == REPO / "solutions" / "ex01_features"
    assert sources["skeleton"] == REPO / "assignments" / "ex01_features"


def test_points_add_up_to_the_reference_total():
    reference = json.loads((EXAMPLES / "reference" / "expected.json").read_text())
    skeleton = json.loads((EXAMPLES / "skeleton" / "expected.json").read_text())
    assert reference["total"] == sum(reference["tests"].values()) and reference["total"] > 0 and set(reference["tests"]) == set(skeleton["tests"])
    assert skeleton["total"] == 0
