"""Music clip generators: windows of real produced tracks and re-orchestrated MIDI.

MIDI files are rendered with tinysoundfont (General MIDI soundfonts FluidR3_GM from Debian
fluid-soundfont-gm and TimGM6mb bundled in pretty_midi), with a random GM program per
channel, transposition by -5..+5 semitones and a tempo factor 0.8..1.25.
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from .audio import DURATION, N_SAMPLES, SR, duration_of, read_audio, rms_db

HYPERROGUE = "/usr/share/hyperrogue/music"
WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music"
OPENMSX = "/usr/share/games/openttd/baseset/openmsx"
FLUID_SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"

# General MIDI programs used for re-orchestration (melodic, no sound effects).
GM_PROGRAMS = [p for p in range(0, 104) if p not in range(55, 56)] + [104, 105, 106, 108, 109, 110]
MIN_DB = -45.0  # reject windows quieter than this (fade-ins, silences)


def timgm_sf2() -> str:
    import importlib.util  # locate pretty_midi's bundled soundfont without importing it

    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or spec.origin is None:
        raise RuntimeError("PyPI package pretty_midi (for TimGM6mb.sf2) is not installed")
    return str(Path(spec.origin).parent / "TimGM6mb.sf2")


def _track_window(rng: np.random.Generator, files: list[str], package: str) -> tuple[np.ndarray, dict]:
    path = str(rng.choice(files))
    total = duration_of(path)
    for _ in range(8):
        offset = round(float(rng.uniform(0, max(total - DURATION - 0.1, 0))), 3)
        x = read_audio(path, offset, DURATION)[:N_SAMPLES]
        x = np.pad(x, (0, N_SAMPLES - x.size))
        if rms_db(x) > MIN_DB:
            break
    return x, {"package": package, "file": Path(path).name, "offset": offset, "detail": "recorded track"}


def hyperrogue(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    return _track_window(rng, sorted(glob.glob(f"{HYPERROGUE}/*.ogg")), "hyperrogue-music")


def wesnoth(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    files = [f for f in sorted(glob.glob(f"{WESNOTH}/*.ogg")) if duration_of(f) > 40]
    return _track_window(rng, files, "wesnoth-1.16-music")


def _events(path: str, tempo: float):
    """(time s, message) of a MIDI file, time scaled by 1/tempo."""
    import mido

    t, out = 0.0, []
    for msg in mido.MidiFile(path):
        t += msg.time / tempo
        if not msg.is_meta:
            out.append((t, msg))
    return out


def render_midi(path: str, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    import tinysoundfont

    use_fluid = bool(rng.random() < 0.6)
    sf2 = FLUID_SF2 if use_fluid else timgm_sf2()
    transpose = int(rng.integers(-5, 6))
    tempo = round(float(rng.uniform(0.8, 1.25)), 3)
    programs = {ch: int(rng.choice(GM_PROGRAMS)) for ch in range(16) if ch != 9}
    events = _events(path, tempo)
    notes = [t for t, m in events if m.type == "note_on" and m.velocity > 0]
    if not notes:
        raise RuntimeError(f"{path} has no notes")
    first, last = notes[0], notes[-1]
    offset = round(float(rng.uniform(first, max(first, last - DURATION))), 3)
    pre = min(offset, 2.0)  # render a little before the window so held notes sound
    start_t, end_t = offset - pre, offset + DURATION

    synth = tinysoundfont.Synth(samplerate=SR)
    sfid = synth.sfload(sf2)
    for ch, prog in programs.items():
        synth.program_select(ch, sfid, 0, prog)
    synth.program_select(9, sfid, 128, 0, True)
    chunks, now = [], start_t
    for t, msg in events:
        if t > end_t:
            break
        if t > now:
            n = int(round((t - start_t) * SR)) - int(round((now - start_t) * SR))
            if n > 0 and t > start_t:
                chunks.append(np.frombuffer(synth.generate(n), dtype=np.float32))
            now = max(now, t)
        ch = getattr(msg, "channel", None)
        if msg.type == "note_on" and msg.velocity > 0:
            if t < start_t:
                continue
            key = msg.note if ch == 9 else min(127, max(0, msg.note + transpose))
            synth.noteon(ch, key, msg.velocity)
        elif msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0):
            key = msg.note if ch == 9 else min(127, max(0, msg.note + transpose))
            synth.noteoff(ch, key)
        elif msg.type == "control_change" and msg.control in (7, 10, 11, 64, 1):
            synth.control_change(ch, msg.control, msg.value)
        elif msg.type == "pitchwheel":
            synth.pitchbend(ch, msg.pitch + 8192)
    total = int(round((end_t - start_t) * SR))
    have = sum(c.size for c in chunks) // 2
    if have < total:
        chunks.append(np.frombuffer(synth.generate(total - have), dtype=np.float32))
    stereo = np.concatenate(chunks).reshape(-1, 2).astype(np.float64)
    x = stereo.mean(axis=1)[int(round(pre * SR)):][:N_SAMPLES]
    x = np.pad(x, (0, N_SAMPLES - x.size))
    used = sorted({programs[ch] for _, m in events if getattr(m, "channel", 9) != 9 for ch in [m.channel]})
    detail = (f"sf2={Path(sf2).name} transpose={transpose:+d} tempo=x{tempo} "
              f"programs={'/'.join(map(str, used))}")
    return x, {"offset": offset, "detail": detail}


def openmsx(rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, dict]:
    files = sorted(glob.glob(f"{OPENMSX}/*.mid"))
    for _ in range(4):
        path = str(rng.choice(files))
        x, info = render_midi(path, rng)
        if rms_db(x) > MIN_DB:
            break
    return x, {"package": "openttd-openmsx", "file": Path(path).name, **info}


GENERATORS = {"hyperrogue": hyperrogue, "wesnoth": wesnoth, "openmsx": openmsx}
COUNTS = {"hyperrogue": 34, "wesnoth": 14, "openmsx": 52}
FALLBACK = "hyperrogue"
