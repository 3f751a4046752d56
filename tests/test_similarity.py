"""The similarity ranking finds the disguised copy: copied_from_mira is independent_mira with every
variable renamed and the functions reordered; the reference and the skeleton are written apart."""

from kit.grading import intake
from kit.grading.config import REPO, load_config
from kit.grading.similarity import rank_pairs

EXAMPLES = REPO / "autograder" / "examples" / "ex02_cnn"
SOURCES = {
    "independent_mira": EXAMPLES / "independent_mira",
    "copied_from_mira": EXAMPLES / "copied_from_mira",
    "reference": REPO / "solutions" / "ex02_cnn",
    "skeleton": REPO / "assignments" / "ex02_cnn",
}


def test_the_disguised_copy_ranks_first_and_the_skeleton_counts_for_nothing(tmp_path):
    config = load_config("ex02_cnn")
    for ident, source in SOURCES.items():
        intake.stage(ident, source, config, tmp_path / ident / "files")
    report = tmp_path / "similarity.html"
    pairs = rank_pairs(config, tmp_path, sorted(SOURCES), report)
    first, second = pairs[0], pairs[1]
    assert {first.first, first.second} == {"independent_mira", "copied_from_mira"}
    assert set(first.by_role) == {"dataset", "model", "training"}
    assert first.score > 0.8 and second.score < 0.5, pairs[:3]
    # Skeleton code is boilerplate: the unchanged skeleton shares nothing with anyone.
    assert all(p.score == 0 for p in pairs if "skeleton" in (p.first, p.second))
    assert "copied_from_mira" in report.read_text()
