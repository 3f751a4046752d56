"""`make grade`: grade example submissions, a folder of real ones, or a single one."""

from __future__ import annotations

import argparse
import errno
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from kit.data.manifest import SPLIT_FOLDERS
from kit.grading import adjustments, intake
from kit.grading.adjustments import Adjustment, apply_all
from kit.grading.batch import collect, disk_full, grade_batch
from kit.grading.cluster import ClusterOptions
from kit.grading.config import REPO, AssignmentConfig, load_config
from kit.grading.examples import example_sources
from kit.grading.heldout import build_view
from kit.lms import moodle
from kit.lms.downloads import open_download
from kit.sandbox import isolation
from kit.grading.config import add_assignment_argument, dataset_name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment_argument(parser)
    parser.add_argument("--submissions", type=Path,
                        help="folder of submissions, or an LMS's download-all zip (default: the bundled examples)")
    parser.add_argument("--submission", type=Path, help="grade this one folder or zip only")
    parser.add_argument("--results-json", type=Path, help="with --submission: where to write results.json")
    parser.add_argument("--dataset", default="embedded", type=dataset_name,
                        help="embedded (default), gtzan or a configuration of an importer (`python -m kit data -h`)")
    parser.add_argument("--data-dir", type=Path, help="the TA's copy of the dataset (DATASET=gtzan)")
    parser.add_argument("--features", type=Path,
                        help="a labelled feature folder to grade on instead of the verified cache "
                             "(what the release's autograder zip ships; no audio needed)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument("--probe-jobs", type=int,
                        help="probes of one submission run at once (default: the cores JOBS leave idle; "
                             "1 keeps one probe's memory at a time)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that already have results")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "grades", help="output root")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "build" / "cache",
                        help="feature cache and sandbox data views")
    cluster = parser.add_argument_group("where submissions are graded (kit/grading/cluster.py)")
    cluster.add_argument("--executor", choices=["threads", "local", "slurm"], default="threads",
                         help="threads: JOBS at a time in this process (default); slurm: one Slurm job per "
                              "submission through submitit, JOBS queued at once; local: submitit's local executor")
    cluster.add_argument("--slurm-partition", help="the partition (sbatch --partition)")
    cluster.add_argument("--slurm-cpus", type=int, default=2, help="cores per job (sbatch --cpus-per-task)")
    cluster.add_argument("--slurm-mem-gb", type=int, default=8, help="memory per job (sbatch --mem)")
    cluster.add_argument("--slurm-time", type=int, metavar="MINUTES",
                         help="time limit per job (sbatch --time; default: the assignment's submission timeout + 10)")
    cluster.add_argument("--slurm-account", help="the account to charge (sbatch --account)")
    parser.add_argument("--adjustments", type=Path,
                        help="the TA's corrections (student,test,change,reason; kit/grading/adjustments.py); "
                             "default: grades/<assignment>/adjustments.csv when it exists")
    parser.add_argument("--similarity-boilerplate", type=Path, action="append", default=[],
                        help="a folder of the course's own distributed files that similarity subtracts (repeatable)")
    lms = parser.add_argument_group("LMS (grades and feedback back into Moodle or Canvas)")
    lms.add_argument("--worksheet", type=Path, help="Moodle's grading worksheet (Grades-....csv) to fill in")
    lms.add_argument("--grade-column", help="the worksheet's grade column, if its headers are not in English")
    lms.add_argument("--feedback-column", help="the worksheet's feedback-comments column, if not in English")
    lms.add_argument("--canvas-gradebook", type=Path, help="a Canvas gradebook export: student names, SIS ids, sections")
    lms.add_argument("--canvas-assignment", help="the assignment's Canvas column, e.g. 'CNN lab (4711)'")


def data_view(
    config: AssignmentConfig, dataset: str, data_dir: Path | None, features: Path | None = None,
    cache_dir: Path = REPO / "build" / "cache",
) -> Path | None:
    """Verify the dataset and cache its features (or take a given feature folder), and build
    the sandbox's view of them: the view folder itself, or with named inputs in config.toml
    (``[features.<name>]``) one view per name in ``<view>/<name>/``."""
    if not config.needs_features:
        return None
    source = config.data_source(dataset)
    if config.features:
        if features is not None:
            raise SystemExit(f"{config.id} reads {len(config.features)} kinds of input: it computes them "
                             "itself from DATASET/DATA_DIR (no --features)")
        roots = {name: _prepared(source, data_dir, cache_dir, params) for name, params in config.features.items()}
        digest = hashlib.sha256(repr(sorted((n, str(r)) for n, r in roots.items())).encode()).hexdigest()[:12]
        combined = cache_dir / "views" / f"{config.id}-{source}-{digest}"
        for name, root in roots.items():
            build_view(root, combined / name)
        return combined
    if features is None:
        features = _prepared(source, data_dir, cache_dir, None)
    missing = [name for name in SPLIT_FOLDERS.values() if not (features / name).is_dir()]
    if missing:
        raise SystemExit(f"{features} is not a feature folder: it has no {', '.join(missing)}/")
    features = features.resolve()
    view_name = features.name + "-" + hashlib.sha256(str(features).encode()).hexdigest()[:8]
    return build_view(features, cache_dir / "views" / view_name)


def _prepared(source: str, data_dir: Path | None, cache_dir: Path, params) -> Path:
    from kit.data.cache import DatasetError, prepare_dataset

    try:
        return prepare_dataset(source, data_dir, cache_root=cache_dir, params=params).root.resolve()
    except DatasetError as error:
        raise SystemExit(f"cannot grade on dataset {source!r}:\n{error}") from None


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    config = load_config(args.assignment)
    if args.dataset not in config.datasets:
        known = ", ".join(config.datasets)
        raise SystemExit(f"no threshold configured for DATASET={args.dataset} (known: {known})")
    thresholds = config.settings.get("accuracy", {}).get("threshold")
    if isinstance(thresholds, dict) and args.dataset not in thresholds:
        raise SystemExit(f"{config.id} has no accuracy threshold for DATASET={args.dataset} yet: measure the reference "
                         f"on your copy and write one with `make calibrate ASSIGNMENT={config.id} "
                         f"DATASET={args.dataset} DATA_DIR=... WRITE=1` (about 5 trainings), then grade")
    # Only matters without bubblewrap (as root): lock what student code must not read.
    isolation.protect([REPO / "autograder", REPO / "solutions", REPO / "build", REPO / "data_manifests",
                       REPO / "kit", *(p for p in (args.submissions, args.features, args.data_dir) if p)])
    view = data_view(config, args.dataset, args.data_dir, args.features, args.cache_dir)
    if args.submission is not None:
        return _grade_one(config, args, view, console)
    for given in (args.worksheet, args.canvas_gradebook):
        if given is not None and not given.is_file():
            raise SystemExit(f"{given} does not exist")
    max_grade = config.max_grade
    if args.worksheet is not None:  # its problems (columns, maximum grade) are found before grading, not after
        worksheet = moodle.read_worksheet(args.worksheet, grade_column=args.grade_column,
                                          feedback_column=args.feedback_column)
        if worksheet.maximum_grade is not None:
            max_grade = worksheet.maximum_grade
            console.print(f"grade scale: the worksheet's maximum grade, {max_grade:g}"
                          + ("" if max_grade == config.max_grade else f" (not config.toml's max_grade {config.max_grade:g})"))
    students = {}
    if args.submissions is not None:
        download = open_download(args.submissions, args.out.parent / "downloads")
        submissions = intake.discover(download.folder, download.entries())
        if not submissions:
            raise SystemExit(f"no submissions (folders or zips) in {args.submissions}")
        students = {ident: download.students[path.name] for ident, path in submissions if path.name in download.students}
        if download.lms:
            console.print(f"{args.submissions.name}: a {download.lms.title()} download, {len(students)} students")
    else:
        submissions = example_sources(config)
    out = args.out / config.id
    corrections = _adjustments(config, args, {ident for ident, _ in submissions}, out)
    where = "" if args.executor == "threads" else f" as {args.executor} jobs"
    console.print(f"grading {len(submissions)} submission(s) of {config.id} on {args.dataset}, "
                  f"{args.jobs} at a time{where}, into {out}")
    cluster = None if args.executor == "threads" else ClusterOptions(
        executor=args.executor, partition=args.slurm_partition, cpus=args.slurm_cpus, mem_gb=args.slurm_mem_gb,
        time_min=args.slurm_time, account=args.slurm_account)
    try:
        return _grade_and_publish(config, args, submissions, out, view, students, corrections, max_grade,
                                  console, cluster)
    except OSError as error:  # the grade sheet, a report or an LMS file could not be written
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(error, out) from None
        raise


def _grade_and_publish(config, args, submissions, out, view, students, corrections, max_grade, console,
                       cluster) -> int:
    outcomes = grade_batch(config, submissions, out, view=view, dataset=args.dataset, jobs=args.jobs,
                           probe_jobs=args.probe_jobs, force=args.force, console=console, cluster=cluster,
                           adjust=lambda documents: apply_all(documents, corrections))
    errors = [f"{o.submission}: {o.note}" if o.note else o.submission for o in outcomes if o.status == "grader-error"]
    # Imported here: its pictures need matplotlib (0.4 s), which grading one submission does not.
    from kit.grading.publish import LmsOptions, publish

    documents = collect(out, {ident for ident, _ in submissions})
    options = LmsOptions(worksheet=args.worksheet, grade_column=args.grade_column,
                         feedback_column=args.feedback_column, canvas_gradebook=args.canvas_gradebook,
                         canvas_assignment=args.canvas_assignment)
    publish(config, out, documents, errors=errors, students=students, options=options, console=console,
            adjustments=corrections, max_grade=max_grade, boilerplate=args.similarity_boilerplate)
    console.print(f"results: {out}/<submission>/results.json, feedback.md and feedback.html; {out}/grades.csv; "
                  f"{out}/report.md and report.html; {out}/similarity.html")
    if errors:
        console.print(f"[red]not graded because the grader failed: {', '.join(errors)} (see grader-error.log)")
        return 1
    return 0


def _adjustments(config: AssignmentConfig, args: argparse.Namespace, this_run: set[str], out: Path) -> list[Adjustment]:
    """The TA's adjustments file, checked before grading: every line must name a test of the
    assignment and a submission of this run or one graded before."""
    path = args.adjustments or adjustments.default_path(config)
    if not path.is_file():
        if args.adjustments is not None:
            raise SystemExit(f"ADJUSTMENTS: {path} does not exist")
        return []
    found = adjustments.read(path, config)
    adjustments.check_students(found, this_run | {p.parent.name for p in out.glob("*/results.json")}, path)
    applied = [a for a in found if a.student in this_run]
    Console(stderr=True).print(f"{len(applied)} adjustment(s) from {path} applied after grading")
    return applied


def _grade_one(config: AssignmentConfig, args: argparse.Namespace, view: Path | None, console: Console) -> int:
    if args.results_json is None:
        raise SystemExit("--submission needs --results-json")
    ident = intake.submission_id(args.submission.name)
    with tempfile.TemporaryDirectory(prefix="kit-grade-one-") as tmp:
        outcomes = grade_batch(config, [(ident, args.submission)], Path(tmp), view=view, dataset=args.dataset,
                               jobs=1, probe_jobs=args.probe_jobs, force=True, console=console)
        results = Path(tmp) / ident / "results.json"
        if outcomes[0].status != "graded" or not results.is_file():
            log = Path(tmp) / ident / "grader-error.log"
            sys.stderr.write(log.read_text() if log.is_file() else "grading failed\n")
            return 1
        args.results_json.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, args.results_json)
    return 0
