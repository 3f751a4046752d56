"""Speech clip generators: TTS (espeak-ng, flite, festival) and recorded words/sentences.

Each generator takes a numpy Generator and a scratch folder and returns
``(audio at SR, info)`` where ``info`` describes the source (package, file, offset, voice).
Clips are built by joining several utterances with short, varied gaps until 5 s are filled,
then cutting a random 5 s window, so pauses alone do not give the class away.
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from .audio import DURATION, SR, join, read_audio, read_raw16, run_tool, trim, window
from .texts import ESPEAK_LANG, SENTENCES

GAP = (0.04, 0.35)  # seconds of silence between utterances
FILL = DURATION + 1.5  # seconds of material to gather before cutting the window

ESPEAK_VARIANTS = [
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
    "klatt3", "klatt4", "Alex", "Andrea", "Annie", "adam", "anika", "belinda", "benjamin", "david",
    "edward", "grandma", "grandpa", "iven", "john", "linda", "max", "michel", "norbert", "paul",
    "quincy", "rob", "robert", "steph", "travis", "victor", "zac", "Lee", "Mario", "Michael",
    "Mike", "aunty", "boris", "caleb", "ed", "gustave", "pablo", "sandro", "shelby",
]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = ["voice_kal_diphone", "voice_cmu_us_slt_arctic_hts"]

KTUBERLING = "/usr/share/ktuberling/sounds"
KLETTRES = "/usr/share/klettres"
SPHINX = "/usr/share/pocketsphinx/test/data"


def _sentences(rng: np.random.Generator, lang: str, k: int) -> list[str]:
    pool = SENTENCES[lang]
    order = rng.permutation(len(pool))
    return [pool[i] for i in order[: min(k, len(pool))]]


def _fill(make, rng: np.random.Generator, gap=GAP) -> tuple[np.ndarray, float]:
    """Call ``make(i)`` for utterances until FILL seconds, join, and cut a 5 s window."""
    segs, total, i = [], 0.0, 0
    while total < FILL and i < 40:
        seg = trim(make(i))
        i += 1
        if seg.size < SR * 0.05:
            continue
        segs.append(seg)
        total += seg.size / SR + np.mean(gap)
    if not segs:
        raise RuntimeError("no speech material")
    return window(join(segs, rng, gap), rng)


def espeak(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    lang = str(rng.choice(sorted(SENTENCES)))
    if rng.random() < 0.3:
        lang = "en"
    voice = str(rng.choice(ESPEAK_LANG[lang]))
    variant = str(rng.choice(ESPEAK_VARIANTS))
    rate = int(rng.integers(120, 221))
    pitch = int(rng.integers(20, 81))
    texts = _sentences(rng, lang, 4)

    def make(i: int) -> np.ndarray:
        out = tmp / f"espeak_{i}.wav"
        text = texts[i % len(texts)]
        return run_tool(["espeak-ng", "-v", f"{voice}+{variant}", "-s", str(rate), "-p", str(pitch),
                         "-w", str(out), text], out)

    audio, offset = _fill(make, rng)
    return audio, {"package": "espeak-ng", "file": f"texts:{lang}", "offset": offset,
                   "detail": f"voice={voice}+{variant} rate={rate} pitch={pitch}"}


def flite(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    voice = str(rng.choice(FLITE_VOICES))
    stretch = round(float(rng.uniform(0.8, 1.3)), 2)
    f0 = int(rng.integers(80, 200)) if voice in ("kal", "kal16", "awb", "rms") else int(rng.integers(140, 260))
    texts = _sentences(rng, "en", 5)

    def make(i: int) -> np.ndarray:
        out = tmp / f"flite_{i}.wav"
        return run_tool(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                         "--setf", f"int_f0_target_mean={f0}", "-t", texts[i % len(texts)], "-o", str(out)], out)

    audio, offset = _fill(make, rng)
    return audio, {"package": "flite", "file": "texts:en", "offset": offset,
                   "detail": f"voice={voice} stretch={stretch} f0={f0}"}


def festival(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    voice = str(rng.choice(FESTIVAL_VOICES))
    stretch = round(float(rng.uniform(0.85, 1.25)), 2)
    texts = _sentences(rng, "en", 3)
    # One festival call for all sentences (its start-up dominates); sentence pauses are festival's own.
    txt = tmp / "festival.txt"
    txt.write_text(" ".join(texts) + "\n", encoding="utf-8")
    out = tmp / "festival.wav"
    x = run_tool(["text2wave", "-eval", f"({voice})", "-eval",
                  f"(Parameter.set 'Duration_Stretch {stretch})", str(txt), "-o", str(out)], out)
    audio, offset = window(trim(x), rng)
    return audio, {"package": "festival", "file": "texts:en", "offset": offset,
                   "detail": f"{voice} stretch={stretch}"}


def _recorded(rng: np.random.Generator, files: list[str]) -> tuple[np.ndarray, float, list[str]]:
    order = rng.permutation(len(files))
    used: list[str] = []

    def make(i: int) -> np.ndarray:
        path = files[order[i % len(files)]]
        used.append(path)
        return read_audio(path)

    audio, offset = _fill(make, rng, gap=(0.03, 0.25))
    return audio, offset, used


def _sounds(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.suffix in (".ogg", ".wav", ".opus", ".flac"))


def ktuberling(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    locales = sorted(p.name for p in Path(KTUBERLING).iterdir() if p.is_dir() and len(_sounds(p)) >= 8)
    loc = str(rng.choice(locales))
    files = _sounds(Path(KTUBERLING) / loc)
    audio, offset, used = _recorded(rng, files)
    return audio, {"package": "ktuberling-data", "file": f"sounds/{loc}/ ({len(used)} words, first "
                   f"{Path(used[0]).name})", "offset": offset, "detail": f"locale={loc}"}


def klettres(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    langs = sorted(p.name for p in Path(KLETTRES).iterdir()
                   if p.is_dir() and glob.glob(f"{p}/*/*.ogg"))
    lang = str(rng.choice(langs))
    files = sorted(glob.glob(f"{KLETTRES}/{lang}/*/*.ogg"))
    audio, offset, used = _recorded(rng, files)
    return audio, {"package": "klettres-data", "file": f"{lang}/ ({len(used)} sounds, first "
                   f"{Path(used[0]).name})", "offset": offset, "detail": f"language={lang}"}


def pocketsphinx(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    wavs = sorted(glob.glob(f"{SPHINX}/**/*.wav", recursive=True))
    raws = sorted(glob.glob(f"{SPHINX}/**/*.raw", recursive=True))
    files = wavs + raws
    order = rng.permutation(len(files))
    used: list[str] = []

    def make(i: int) -> np.ndarray:
        path = files[order[i % len(files)]]
        used.append(path)
        return read_raw16(path) if path.endswith(".raw") else read_audio(path)

    audio, offset = _fill(make, rng, gap=(0.03, 0.25))
    return audio, {"package": "pocketsphinx-testdata", "file": "; ".join(Path(u).name for u in used),
                   "offset": offset, "detail": "recorded (LibriVox/CMU test data)"}


GENERATORS = {
    "espeak": espeak, "flite": flite, "festival": festival,
    "ktuberling": ktuberling, "klettres": klettres, "pocketsphinx": pocketsphinx,
}
# How many of the 100 speech clips come from each generator.
COUNTS = {"espeak": 36, "flite": 12, "festival": 10, "ktuberling": 20, "klettres": 12, "pocketsphinx": 10}
FALLBACK = "espeak"
