"""`make validate ASSIGNMENT=<id>`: apply every variant to the current reference, grade them in
one batch, and report caught/fair rates and failed tests per bug.

Exits non-zero when a target is missed (see ``kit.validate.report.TARGETS``) or a variant
no longer applies to the reference.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from kit.grading.batch import grade_batch
from kit.grading.cli import data_view
from kit.grading.config import REPO, load_config
from kit.validate.report import outcome, summarise, summary_line, write_reports
from kit.validate.variants import VariantError, apply_variant, load_variants, reference_folder
from kit.grading.config import add_assignment_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument("--jobs", type=int, default=1, help="variants graded in parallel")
    parser.add_argument("--only", nargs="*", help="grade only these variant ids")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "validate", help="output root")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "build" / "cache")


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    config = load_config(args.assignment)
    out = args.out / config.id
    try:
        variants = load_variants(config)
        if args.only:
            unknown = set(args.only) - {v.id for v in variants}
            if unknown:
                raise VariantError(f"no variant named {', '.join(sorted(unknown))}")
            variants = [v for v in variants if v.id in args.only]
        submissions = [(v.id, apply_variant(v, reference_folder(config), out / "submissions" / v.id)) for v in variants]
    except VariantError as error:
        console.print(f"[red]{error}")
        return 2
    view = data_view(config, "embedded", None, None, args.cache_dir)
    console.print(f"validating the {config.id} graders with {len(variants)} variants, {args.jobs} at a time")
    grades = out / "grades"
    grade_batch(config, submissions, grades, view=view, dataset="embedded", jobs=args.jobs, force=True, console=console)
    outcomes = []
    for variant in variants:
        path = grades / variant.id / "results.json"
        outcomes.append(outcome(variant, json.loads(path.read_text()) if path.is_file() else None))
    summary = summarise(outcomes)
    write_reports(out, config.id, outcomes, summary)
    console.print(summary_line(config.id, summary))
    for o in outcomes:
        if o.kind == "bug" and o.full_marks:
            console.print(f"  missed: {o.id} ({o.rule})")
        elif o.kind == "correct" and o.graded and not o.full_marks:
            console.print(f"  unfair: {o.id} lost {o.max_score - o.score:g} in {', '.join(o.failed_tests)}: {o.first_feedback[:160]}")
        elif o.kind == "bug" and len(o.failed_tests) > 2:
            console.print(f"  {o.id} failed {len(o.failed_tests)} tests: {', '.join(o.failed_tests)}")
    console.print(f"report: {out / 'report.md'}; data: {out / 'validate.json'}")
    misses = summary.misses()
    if misses:
        console.print("[red]targets missed: " + "; ".join(misses))
        return 1
    return 0
