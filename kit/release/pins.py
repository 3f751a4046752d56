"""Reading requirements.lock: the one place that parses ``name[extras]==version`` lines."""

from __future__ import annotations

import re
from pathlib import Path

# Where the lock's torch pin is installed from as a CPU build (PyPI's Linux torch carries about
# 4 GB of CUDA libraries): the Makefile's set-up (its TORCH_CPU_INDEX must agree, a test checks),
# the autograder zip's setup.sh and the students' requirements.txt.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)")


def normalise(name: str) -> str:
    """PEP 503 name normalisation, so ``scikit_learn`` and ``scikit-learn`` match."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(text: str) -> dict[str, tuple[str, str]]:
    """{normalised name: (requirement line, version)} of every exact pin in ``text``.

    A pin with an environment marker (``soupsieve==2.10 ; python_full_version < "3.11.5"``)
    is keyed ``name;marker``, so that the lock's per-interpreter alternatives all survive.
    """
    pins = {}
    for line in text.splitlines():
        line = line.strip()
        match = _PIN.match(line)
        if match:
            key = normalise(match.group(1))
            if ";" in line:
                key += ";" + line.split(";", 1)[1].strip()
            pins[key] = (line, match.group(3))
    return pins


def lock_pins(lock: Path) -> dict[str, str]:
    """{normalised name: requirement line} from requirements.lock."""
    return {name: line for name, (line, _) in parse_pins(lock.read_text(encoding="utf-8")).items()}
