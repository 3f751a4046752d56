"""Which submissions look copied from each other: copydetect (MOSS-style winnowing) on the batch.

copydetect tokenises each file (names become V/F/O, strings S, so renaming variables does not
hide a copy), fingerprints it by winnowing, and measures for each pair of files the share of
each file's tokens that the other one also has. What every student got from the course (the
skeletons, the example code: ``assignments/<id>/``, and the course's own distributed files a
TA names with ``SIMILARITY_BOILERPLATE``) is passed as boilerplate and never counts.

Files are compared role by role (a dataset file with a dataset file), never within one
submission; a pair of submissions scores the mean over its shared roles of the two files'
mean share. ``similarity.html`` is copydetect's own report, with the copied code highlighted.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

from kit.grading.config import REPO, AssignmentConfig


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    score: float  # 0..1
    by_role: dict[str, float]


def _workspace(config: AssignmentConfig, out: Path, idents: list[str]) -> Path:
    """``<out>/similarity/files/<submission>/<role>.py``: the graded files under comparable names."""
    work = out / "similarity" / "files"
    if work.exists():
        shutil.rmtree(work)
    for ident in idents:
        staged = out / ident / "files"
        for role, spec in config.student_files.items():
            found = sorted(staged.glob(f"{spec.prefix}*.py"))
            if found:
                (work / ident).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found[0], work / ident / f"{role}.py")
    return work


def boilerplate_sources(config: AssignmentConfig, extra: list[Path]) -> list[tuple[Path, int]]:
    """(folder, its number of .py files) of what every student got from the course: the kit's
    skeletons and example code, and the course's own distributed files (SIMILARITY_BOILERPLATE)."""
    folders = [config.handout_folder, *extra]
    for folder in extra:
        if not folder.is_dir():
            raise SystemExit(f"SIMILARITY_BOILERPLATE: {folder} is not a folder (give the folder of the course's own "
                             "distributed files, e.g. its utils.py and plotting helpers)")
    return [(folder, sum(1 for _ in folder.rglob("*.py"))) for folder in folders]


def rank_pairs(config: AssignmentConfig, out: Path, idents: list[str], report: Path,
               extra_boilerplate: list[Path] = ()) -> tuple[list[Pair], list[str]]:
    """Pairs of submissions, most similar first, and one line per boilerplate source subtracted;
    writes copydetect's HTML report to ``report``."""
    import matplotlib

    matplotlib.use("Agg")  # copydetect draws its report's charts with pyplot
    from copydetect import CopyDetector

    sources = boilerplate_sources(config, list(extra_boilerplate))
    subtracted = [f"{_shown(folder)} ({count} .py files)" for folder, count in sources]
    work = _workspace(config, out, idents)
    folders = sorted(p for p in work.iterdir()) if work.is_dir() else []
    if len(folders) < 2:
        return [], subtracted
    detector = CopyDetector(
        test_dirs=[str(work)], ref_dirs=[str(work)], boilerplate_dirs=[str(folder) for folder, _ in sources],
        extensions=["py"],
        same_name_only=True, ignore_leaf=True, autoopen=False, silent=True,
        out_file=str(report),
    )
    detector.run()
    index = {path: i for i, path in enumerate(detector.test_files)}
    ref_index = {path: j for j, path in enumerate(detector.ref_files)}
    pairs = []
    for a, b in itertools.combinations([p.name for p in folders], 2):
        by_role = {}
        for role in config.student_files:
            first, second = str(work / a / f"{role}.py"), str(work / b / f"{role}.py")
            if first in index and second in ref_index:
                share_a, share_b = detector.similarity_matrix[index[first], ref_index[second]]
                if share_a >= 0:
                    by_role[role] = round(float(share_a + share_b) / 2, 4)
        if by_role:
            pairs.append(Pair(a, b, round(sum(by_role.values()) / len(by_role), 4), by_role))
    pairs.sort(key=lambda pair: (-pair.score, pair.first, pair.second))
    report.parent.mkdir(parents=True, exist_ok=True)
    detector.generate_html_report()
    return pairs, subtracted


def _shown(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(REPO))
    except ValueError:
        return str(folder)
