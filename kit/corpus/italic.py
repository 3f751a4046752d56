"""The ITALIC stand-in: Italian spoken intents made offline, ``data_manifests/italic_mini/``.

    python -m kit.corpus.italic --seed 0          # `make corpus` runs it after the embedded corpus

10 intents of the MASSIVE set (``intents_it.py``: 8 sentence templates each, slots filled at
random), read by Debian's Italian TTS: espeak-ng's Italian voice with 23 voice variants, each
speaker with its own rate and pitch (jittered per clip), and festival's two Italian diphone
voices (festvox-italp16k, festvox-itapc16k) with a duration stretch. Every clip passes through
the embedded corpus's channel stage (``channel.py``: level, band limit, noise, reverb) at 16 kHz
and is written as 16-bit mono FLAC.

Speakers are split as in ITALIC's ``hard_speaker`` configuration: the students' splits
(``train``/``val``/``test``, 34/9/9 clips per intent) are read by 18 voices, and the kit's
hidden ``holdout`` (11 per intent) by 7 other voices, so held-out accuracy measures a model on
voices it never heard. The same seed gives byte-identical files, ``sources.csv`` and manifest.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from kit.corpus import channel
from kit.corpus.audio import fade, resample, trim
from kit.corpus.intents_it import INTENTS, utterance
from kit.data.manifest import SCHEMA_VERSION, parse_manifest, save_manifest

SR = 16000
STUDENT_CLIPS, HOLDOUT_CLIPS = 52, 11  # per intent: 630 clips, under 25 MiB
SPLIT_COUNTS = {"train": 34, "val": 9, "test": 9}  # of the student clips of each intent
# (engine, voice) per speaker; the holdout's voices are none of the students'.
STUDENT_VOICES = [("espeak", v) for v in ("m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt2",
                                          "Andrea", "Marco", "Mario", "antonio", "belinda", "linda", "steph")]
STUDENT_VOICES.append(("festival", "lp_diphone"))
HOLDOUT_VOICES = [("espeak", v) for v in ("m6", "m7", "f4", "f5", "klatt4", "sandro")] + [("festival", "pc_diphone")]
DEBIAN_PACKAGES = ("espeak-ng", "festival", "festvox-italp16k", "festvox-itapc16k")
OUT = Path("data_manifests/italic_mini")


def missing_requirements() -> list[str]:
    missing = [tool for tool in ("espeak-ng", "text2wave") if subprocess.run(
        ["which", tool], capture_output=True).returncode != 0]
    for voice in ("italian/lp_diphone", "italian/pc_diphone"):
        if not Path("/usr/share/festival/voices", voice).is_dir():
            missing.append(f"festival voice {voice} (festvox-{'italp16k' if 'lp' in voice else 'itapc16k'})")
    return missing


def speaker_style(seed: int, speaker: int) -> tuple[int, int, float]:
    """A speaker's own rate (words per minute), pitch (0-99) and festival duration stretch."""
    rng = np.random.default_rng([seed, 1, speaker])
    return int(rng.integers(135, 195)), int(rng.integers(25, 75)), float(rng.uniform(0.85, 1.2))


def plan(seed: int) -> list[dict]:
    """Every clip: its intent, template, speaker and split, fixed by the seed."""
    voices = STUDENT_VOICES + HOLDOUT_VOICES
    jobs = []
    for intent_index, (intent, (scenario, templates)) in enumerate(INTENTS.items()):
        rng = np.random.default_rng([seed, 2, intent_index])
        student_speakers = rng.permutation(np.resize(np.arange(len(STUDENT_VOICES)), STUDENT_CLIPS))
        holdout_speakers = len(STUDENT_VOICES) + rng.permutation(
            np.resize(np.arange(len(HOLDOUT_VOICES)), HOLDOUT_CLIPS))
        splits = rng.permutation([split for split, count in SPLIT_COUNTS.items() for _ in range(count)])
        for i in range(STUDENT_CLIPS + HOLDOUT_CLIPS):
            holdout = i >= STUDENT_CLIPS
            speaker = int(holdout_speakers[i - STUDENT_CLIPS] if holdout else student_speakers[i])
            jobs.append({"intent": intent, "scenario": scenario, "template": i % len(templates),
                         "speaker": speaker, "engine": voices[speaker][0], "voice": voices[speaker][1],
                         "split": "holdout" if holdout else str(splits[i])})
    for number, job in enumerate(jobs):
        job["id"] = f"it_{number:04d}"
    return jobs


def synthesize(job: dict, text: str, rng: np.random.Generator, seed: int, tmp: Path) -> tuple[np.ndarray, str]:
    rate, pitch, stretch = speaker_style(seed, job["speaker"])
    rate += int(rng.integers(-12, 13))
    pitch = int(np.clip(pitch + rng.integers(-6, 7), 0, 99))
    stretch *= float(rng.uniform(0.95, 1.05))
    out = tmp / f"{job['id']}.wav"
    if job["engine"] == "espeak":
        command = ["espeak-ng", "-v", f"it+{job['voice']}", "-s", str(rate), "-p", str(pitch), "-w", str(out), text]
        settings = f"rate={rate} pitch={pitch}"
        subprocess.run(command, check=True, timeout=60, capture_output=True)
    else:
        command = ["text2wave", "-eval", f"(voice_{job['voice']})", "-eval",
                   f"(Parameter.set 'Duration_Stretch {stretch:.3f})", "-o", str(out)]
        settings = f"duration_stretch={stretch:.3f}"
        subprocess.run(command, input=text.encode("latin-1", "replace"), check=True, timeout=60, capture_output=True)
    audio, rate_in = sf.read(str(out), dtype="float64", always_2d=True)
    return resample(audio.mean(axis=1), rate_in, SR), settings


def make_clip(job: dict, seed: int, tmp: Path) -> tuple[bytes, dict]:
    """One clip's FLAC bytes and its sources.csv row."""
    rng = np.random.default_rng([seed, 3, int(job["id"][3:])])
    text = utterance(INTENTS[job["intent"]][1][job["template"]], rng)
    speech, settings = synthesize(job, text, rng, seed, tmp)
    speech = trim(speech)
    lead, tail = (int(SR * rng.uniform(0.05, 0.2)) for _ in range(2))
    audio = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    audio, effects = channel.apply(audio, np.random.default_rng([seed, 4, int(job["id"][3:])]), sr=SR)
    audio = fade(audio)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1, 1), SR, format="FLAC", subtype="PCM_16", compression_level=1.0)
    row = {"id": job["id"], "path": f"audio/{job['id']}.flac", "split": job["split"], "intent": job["intent"],
           "scenario": job["scenario"], "speaker_id": f"spk_{job['speaker']:02d}", "utt": text,
           "template": job["template"], "engine": "espeak-ng" if job["engine"] == "espeak" else "festival",
           "voice": job["voice"], "settings": settings, "duration": round(audio.size / SR, 3),
           "channel": "; ".join(f"{k}={v}" for k, v in effects.items())}
    return buffer.getvalue(), row


def attribution() -> str:
    return """# Attribution: the ITALIC stand-in (`italic_mini`)

Made offline by `python -m kit.corpus.italic` (this kit). Every clip is synthetic speech:

| what | from | licence |
|---|---|---|
| the Italian sentences (templates and slot values in `kit/corpus/intents_it.py`) | written for this kit | the kit's licence |
| the intent names | the MASSIVE intent set (Amazon, FitzGerald et al. 2022), as used by ITALIC (RiTA-nlp/ITALIC) | CC BY 4.0 (names only) |
| espeak-ng's Italian voice and its voice variants | Debian `espeak-ng`, `espeak-ng-data` | GPL-3+ |
| Italian diphone voices `lp_diphone`, `pc_diphone` | Debian `festvox-italp16k`, `festvox-itapc16k` (Piero Cosi, Carlo Drioli, ISTC-SPFD CNR) read by Debian `festival` | GPL-2+ (voices); festival: MIT-style |

No recording of a person is included. `sources.csv` lists, per clip, the sentence, the engine,
voice and settings, the speaker id and the channel effects applied (`kit/corpus/channel.py`).
"""


def build(seed: int, out: Path, manifest_path: Path) -> None:
    jobs = plan(seed)
    rows, clips = [], []
    out.mkdir(parents=True, exist_ok=True)
    (out / "audio").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kit_italic_") as tmp:
        for number, job in enumerate(jobs):
            data, row = make_clip(job, seed, Path(tmp))
            (out / row["path"]).write_bytes(data)
            rows.append(row)
            clips.append({"path": row["path"], "label": row["intent"], "split": row["split"],
                          "duration": row["duration"], "sha256": hashlib.sha256(data).hexdigest()})
            if number % 100 == 99:
                print(f"  {number + 1} of {len(jobs)} clips", flush=True)
    with open(out / "sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (out / "ATTRIBUTION.md").write_text(attribution(), encoding="utf-8")
    durations = [clip["duration"] for clip in clips]
    low, high = min(durations), max(durations)
    manifest = parse_manifest({
        "schema_version": SCHEMA_VERSION,
        "dataset": {
            "id": "italic_mini",
            "title": "ITALIC stand-in: Italian spoken intents, 10 MASSIVE intents, synthetic voices (generated offline)",
            "source": "Generated offline by kit/corpus/italic.py from Debian espeak-ng (Italian voice, 23 variants) and "
                      "festival (festvox-italp16k, festvox-itapc16k) reading sentences written for this kit; per-clip "
                      f"sources: italic_mini/sources.csv. Built with `python -m kit.corpus.italic --seed {seed}`.",
            "licence": "GPL-3+ (espeak-ng voices), GPL-2+ (festival Italian voices): see italic_mini/ATTRIBUTION.md",
            "sample_rate": SR, "labels": list(INTENTS),
            # Clips vary in length, as in ITALIC: nominal_duration +- tolerance spans them all.
            "audio": {"container": "FLAC", "sample_rate": SR, "channels": 1, "bit_depth": 16,
                      "nominal_duration": round((low + high) / 2, 3),
                      "duration_tolerance": round((high - low) / 2 + 0.01, 3)},
        },
        "clips": clips,
    }, str(manifest_path))
    save_manifest(manifest, manifest_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.corpus.italic", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--manifest", type=Path, help="default: <out>.json")
    args = parser.parse_args(argv)
    missing = missing_requirements()
    if missing:
        print("cannot build the ITALIC stand-in, missing:\n  " + "\n  ".join(missing)
              + f"\n(apt-get install {' '.join(DEBIAN_PACKAGES)}; `make corpus` does it as root)", file=sys.stderr)
        return 2
    started = time.monotonic()
    manifest_path = args.manifest or args.out.with_suffix(".json")
    build(args.seed, args.out, manifest_path)
    size = sum(p.stat().st_size for p in args.out.rglob("*.flac"))
    count = len(list(args.out.rglob("*.flac")))
    print(f"wrote {count} clips ({size / 2**20:.1f} MiB FLAC) into {args.out} and {manifest_path} "
          f"in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
