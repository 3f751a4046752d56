"""Where the kit's folders are: the one definition of the repository root."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AUTOGRADER = REPO / "autograder"
BUILD = REPO / "build"
