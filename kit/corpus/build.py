"""Build the embedded default corpus: 100 speech + 100 music clips, 5 s, 22050 Hz mono FLAC.

    python -m kit.corpus.build --seed 0 [--out data_manifests/embedded]

Deterministic for a seed: every clip's content and channel settings come from a random
generator seeded with (seed, class, index, attempt). Each clip is made in its own worker
process (2 at a time) with a time limit; a job that fails or times out is replaced by the
next attempt (attempt >= 2 uses the class's most reliable source) and reported.
Writes ``<out>/{speech,music}/*.flac``, ``<out>/sources.csv``, ``<out>/ATTRIBUTION.md``
and the manifest ``<out>.json`` (``data_manifests/embedded.json``).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
import traceback
from collections import deque
from pathlib import Path

import numpy as np
import soundfile as sf

from kit.data.manifest import AudioFormat, Clip, DatasetInfo, Manifest, save_manifest, sha256_of_file

from . import channel, music, speech
from .attribution import ATTRIBUTION, LICENCE, SOURCE
from .audio import N_SAMPLES, SR

LABELS = ["speech", "music"]  # class id 0 speech, 1 music, as the course has it
MODULES = {"speech": speech, "music": music}
PREFIX = {"speech": "s", "music": "m"}
# 50/15/15/20 (train/val/test/holdout) over any run of 20: per class 50 training clips, 15 each
# for validation and testing (the students' splits) and 20 held out for the accuracy grader,
# so that 40 balanced held-out clips put each clip at 2.5 % of the accuracy.
SPLIT_PATTERN = ["train", "holdout", "val", "train", "test", "train", "holdout", "train", "val", "test",
                 "train", "holdout", "train", "test", "val", "train", "holdout", "train", "train", "train"]
MAX_ATTEMPTS = 4


# What the generators read, and the package that provides it (checked before building).
REQUIRED = {
    "espeak-ng": "espeak-ng", "flite": "flite", "text2wave": "festival",
    "/usr/share/festival/voices/english/kal_diphone": "festvox-kallpc16k",
    "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
    speech.KTUBERLING: "ktuberling-data", speech.KLETTRES: "klettres-data",
    speech.SPHINX: "pocketsphinx-testdata", music.HYPERROGUE: "hyperrogue-music",
    music.WESNOTH: "wesnoth-1.16-music", music.OPENMSX: "openttd-openmsx",
    music.FLUID_SF2: "fluid-soundfont-gm",
}
PYPI = {"tinysoundfont": "tinysoundfont", "mido": "mido", "pretty_midi": "pretty_midi"}


def missing_requirements() -> list[str]:
    import importlib.util

    missing = []
    for need, package in REQUIRED.items():
        ok = Path(need).exists() if need.startswith("/") else shutil.which(need) is not None
        if not ok:
            missing.append(f"Debian package {package} ({need})")
    for module, package in PYPI.items():
        if importlib.util.find_spec(module) is None:
            missing.append(f"PyPI package {package} (pip install --no-deps -r kit/corpus/requirements.txt)")
    return missing


def plan(seed: int) -> list[dict]:
    """The job list: which generator makes each clip, independent of anything but the seed."""
    jobs = []
    for label_id, label in enumerate(LABELS):
        counts = MODULES[label].COUNTS
        kinds = [k for k in counts for _ in range(counts[k])]
        order = np.random.default_rng([seed, label_id, 999]).permutation(len(kinds))
        for index, pos in enumerate(order):
            name = f"{PREFIX[label]}_{index:03d}"
            jobs.append({"label": label, "label_id": label_id, "index": index, "name": name,
                         "kind": kinds[pos], "attempt": 0, "seed": seed})
    return jobs


def assign_splits(jobs: list[dict], seed: int) -> dict[str, str]:
    """Stratified 50/15/15/20 per class, spread over source kinds (kinds contiguous, SPLIT_PATTERN)."""
    splits = {}
    for label_id, label in enumerate(LABELS):
        mine = [j for j in jobs if j["label"] == label]
        rng = np.random.default_rng([seed, label_id, 777])
        kinds = list(MODULES[label].COUNTS)
        ordered = []
        for kind in kinds:
            group = [j for j in mine if j["planned_kind"] == kind]
            ordered += [group[i] for i in rng.permutation(len(group))]
        shift = int(rng.integers(0, len(SPLIT_PATTERN)))
        for pos, job in enumerate(ordered):
            splits[job["name"]] = SPLIT_PATTERN[(pos + shift) % len(SPLIT_PATTERN)]
    return splits


def make_clip(job: dict, tmp: Path) -> tuple[np.ndarray, dict]:
    key = [job["seed"], job["label_id"], job["index"], job["attempt"]]
    module = MODULES[job["label"]]
    audio, info = module.GENERATORS[job["kind"]](np.random.default_rng(key), tmp)
    audio = np.asarray(audio, dtype=np.float64)[:N_SAMPLES]
    audio = np.pad(audio, (0, N_SAMPLES - audio.size))
    if not np.all(np.isfinite(audio)) or np.abs(audio).max() < 1e-6:
        raise RuntimeError("silent or non-finite audio")
    audio, chan = channel.apply(audio, np.random.default_rng(key + [1]))
    pcm = np.clip(np.round(audio * 32767.0), -32768, 32767).astype(np.int16)
    return pcm, {**info, "channel": chan}


def _worker(job: dict, conn, scratch: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"{job['name']}_", dir=scratch))
    try:
        pcm, info = make_clip(job, tmp)
        conn.send(("ok", pcm.tobytes(), info))
    except BaseException:  # report anything, the parent decides
        conn.send(("error", traceback.format_exc(limit=3), None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        conn.close()


def _retry(job: dict, reason: str, log: list[str]) -> dict | None:
    log.append(f"{job['name']}: attempt {job['attempt']} ({job['kind']}) {reason}")
    if job["attempt"] + 1 >= MAX_ATTEMPTS:
        return None
    kind = job["kind"] if job["attempt"] == 0 else MODULES[job["label"]].FALLBACK
    return {**job, "attempt": job["attempt"] + 1, "kind": kind}


def run_jobs(jobs: list[dict], workers: int, timeout: float, scratch: str) -> tuple[dict, list[str]]:
    ctx = mp.get_context("fork")
    pending = deque(jobs)
    running: dict = {}
    results: dict = {}
    log: list[str] = []
    done = 0
    while pending or running:
        while pending and len(running) < workers:
            job = pending.popleft()
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(job, child, scratch), daemon=True)
            proc.start()
            child.close()
            running[proc] = (job, parent, time.monotonic())
        for proc, (job, conn, started) in list(running.items()):
            again = None
            finished = False
            if conn.poll(0.02):
                try:
                    status, payload, info = conn.recv()
                except EOFError:
                    status, payload, info = "error", "worker died", None
                proc.join(timeout=5)
                finished = True
                if status == "ok":
                    results[job["name"]] = (job, np.frombuffer(payload, dtype=np.int16), info)
                    done += 1
                    if done % 20 == 0:
                        print(f"  {done}/{len(jobs)} clips", flush=True)
                else:
                    again = _retry(job, "failed: " + payload.strip().splitlines()[-1], log)
                    if again is None:
                        raise RuntimeError(f"{job['name']}: all attempts failed\n" + "\n".join(log))
            elif not proc.is_alive():
                finished = True
                again = _retry(job, f"worker exited with code {proc.exitcode}", log)
            elif time.monotonic() - started > timeout:
                proc.kill()
                proc.join()
                finished = True
                again = _retry(job, f"timed out after {timeout:.0f} s", log)
            if finished:
                conn.close()
                del running[proc]
                if again is not None:
                    pending.appendleft(again)
                elif job["name"] not in results:
                    raise RuntimeError(f"{job['name']}: all attempts failed\n" + "\n".join(log))
    return results, log


def write_outputs(results: dict, splits: dict, out: Path, manifest_path: Path, seed: int) -> Manifest:
    for label in LABELS:
        folder = out / label
        if folder.exists():
            for old in folder.glob("*.flac"):
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
    clips, rows = [], []
    for name in sorted(results):
        job, pcm, info = results[name]
        rel = f"{job['label']}/{name}.flac"
        path = out / rel
        sf.write(str(path), pcm, SR, format="FLAC", subtype="PCM_16")
        frames = sf.info(str(path)).frames
        clips.append(Clip(path=rel, label=job["label"], split=splits[name], duration=round(frames / SR, 4),
                          sha256=sha256_of_file(path)))
        chan = info["channel"]
        rows.append({
            "path": rel, "label": job["label"], "split": splits[name], "kind": job["kind"],
            "package": info["package"], "file": info["file"], "offset_s": f"{info['offset']:.3f}",
            "detail": info["detail"], "level": chan.get("level", ""), "band": chan.get("band", ""),
            "noise": chan.get("noise", ""), "reverb": chan.get("reverb", ""), "attempt": job["attempt"],
        })
    with open(out / "sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    manifest = Manifest(
        schema_version=1,
        dataset=DatasetInfo(
            id="embedded",
            title="Embedded music/speech corpus (100 music + 100 speech clips, 5 s, generated offline)",
            source=SOURCE + f" Built with `python -m kit.corpus.build --seed {seed}`.",
            licence=LICENCE,
            sample_rate=SR,
            labels=list(LABELS),
            audio=AudioFormat(container="FLAC", sample_rate=SR, channels=1, bit_depth=16, nominal_duration=5.0),
        ),
        clips=clips,
    )
    save_manifest(manifest, manifest_path)
    return manifest


def rewrite_splits(out: Path, manifest_path: Path, seed: int) -> int:
    """Give an existing corpus the splits a full build would: same audio, same hashes."""
    from kit.data.manifest import load_manifest

    jobs = plan(seed)
    for job in jobs:
        job["planned_kind"] = job["kind"]
    splits = assign_splits(jobs, seed)
    manifest = load_manifest(manifest_path)
    clips = [clip.model_copy(update={"split": splits[clip.stem]}) for clip in manifest.clips]
    save_manifest(manifest.model_copy(update={"clips": clips}), manifest_path)
    sources = out / "sources.csv"
    with open(sources, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["split"] = splits[Path(row["path"]).stem]
    with open(sources, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts = {split: sum(1 for c in clips if c.split == split) for split in dict.fromkeys(SPLIT_PATTERN)}
    print(f"rewrote the splits of {manifest_path} and {sources}: {counts}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.corpus.build", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("data_manifests/embedded"))
    parser.add_argument("--manifest", type=Path, default=None,
                        help="manifest path (default: <out>.json, i.e. data_manifests/embedded.json)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per clip job")
    parser.add_argument("--limit", type=int, default=None,
                        help="only build the first N clips of each class (for quick determinism checks)")
    parser.add_argument("--splits-only", action="store_true",
                        help="keep the audio; rewrite only the splits of the manifest and sources.csv "
                             "(what a full build with this seed would assign)")
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.splits_only:
        return rewrite_splits(out, args.manifest or out.with_suffix(".json"), args.seed)
    missing = missing_requirements()
    if missing:
        print("cannot build the corpus, missing:\n  " + "\n  ".join(missing), file=sys.stderr)
        print("`make corpus` installs them when run as root (see kit/corpus/README.md).", file=sys.stderr)
        return 2
    manifest_path = args.manifest or out.with_suffix(".json")
    jobs = plan(args.seed)
    for job in jobs:
        job["planned_kind"] = job["kind"]
    splits = assign_splits(jobs, args.seed)
    if args.limit is not None:
        jobs = [j for j in jobs if j["index"] < args.limit]
    started = time.monotonic()
    print(f"building {len(jobs)} clips with {args.workers} workers (seed {args.seed}) into {out}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kit_corpus_") as scratch:
        results, log = run_jobs(jobs, args.workers, args.timeout, scratch)
    manifest = write_outputs(results, splits, out, manifest_path, args.seed)
    size = sum(p.stat().st_size for p in out.rglob("*.flac"))
    print(f"wrote {len(manifest.clips)} clips ({size / 2**20:.1f} MiB FLAC) and {manifest_path} "
          f"in {time.monotonic() - started:.0f} s")
    if log:
        print(f"{len(log)} job(s) replaced by a fallback:")
        for line in log:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
