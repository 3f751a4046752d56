"""The ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers of a reference solution.

Shared by ``make skeletons`` (``kit/release/skeletons.py``: each region becomes a ``raise
NotImplementedError``) and the example builder (``kit/grading/examples.py``: the solution as a
student would write it, markers dropped), so neither package imports the other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

BEGIN = "BEGIN SOLUTION"
END = "END SOLUTION"
DEFAULT_MESSAGE = "see the handout"
_BEGIN_LINE = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION(?:\s*:\s*(?P<message>.*?))?\s*$")
_END_LINE = re.compile(r"^[ \t]*#\s*END SOLUTION\s*$")


class MarkerError(ValueError):
    """Unbalanced, nested or malformed solution markers; the message names file and line."""


@dataclass(frozen=True)
class Region:
    """One marked region: 1-based line numbers of its BEGIN and END marker lines."""

    begin: int
    end: int
    indent: str
    message: str


def find_regions(source_text: str, name: str = "<string>") -> list[Region]:
    """The marked regions of ``source_text``; raises MarkerError naming ``name`` and the line."""
    regions: list[Region] = []
    open_line: int | None = None
    indent = message = ""
    for number, line in enumerate(source_text.splitlines(), start=1):
        begin, end = _BEGIN_LINE.match(line), _END_LINE.match(line)
        if begin:
            if open_line is not None:
                raise MarkerError(f"{name}:{number}: nested {BEGIN} (the region opened on line {open_line} is not closed)")
            open_line, indent = number, begin["indent"]
            message = begin["message"] or DEFAULT_MESSAGE
        elif end:
            if open_line is None:
                raise MarkerError(f"{name}:{number}: {END} without a matching {BEGIN}")
            regions.append(Region(open_line, number, indent, message))
            open_line = None
        elif BEGIN in line or END in line:
            raise MarkerError(f"{name}:{number}: a marker must be a comment line of its own: {line.strip()!r}")
    if open_line is not None:
        raise MarkerError(f"{name}:{open_line}: {BEGIN} is never closed by an {END}")
    return regions


def make_skeleton(source_text: str, name: str = "<string>") -> str:
    """``source_text`` with each marked region replaced by a ``raise NotImplementedError`` line."""
    regions = find_regions(source_text, name)
    lines = source_text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    position = 0  # 0-based index of the next line to copy
    for region in regions:
        out.extend(lines[position : region.begin - 1])
        message = region.message
        if not message.lower().startswith("not implemented"):
            message = f"not implemented: {message}"
        out.append(f"{region.indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)}){newline}")
        position = region.end
    out.extend(lines[position:])
    return "".join(out)


def without_markers(source_text: str) -> str:
    """The solution as a student would write it: the marker lines dropped, the code kept."""
    lines = source_text.splitlines(keepends=True)
    return "".join(line for line in lines if not (_BEGIN_LINE.match(line) or _END_LINE.match(line)))
