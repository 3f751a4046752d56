"""Getting submissions out of an LMS and grades and feedback back into it.

- ``downloads``: the LMS's "download all submissions" (zip or folder) -> one folder per student;
- ``moodle``: the grading worksheet and the feedback-files zip (Moodle 4.x, mod/assign);
- ``canvas``: the gradebook import CSV (Canvas LMS);
- ``csv_cells``: editing a downloaded CSV without disturbing the rest of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Student:
    """Who a submission belongs to, as the LMS that produced the download knows them."""

    lms: str  # "moodle" or "canvas"
    key: str  # Moodle: participant id (the worksheet's "Participant <id>"); Canvas: user id or anon_<id>
    name: str  # as the download spells it ("Participant" under blind marking)
    folder: str  # the download's folder (or file prefix) name for this student


def lms_grade(score: float, max_points: float, max_grade: float) -> Decimal:
    """Points scaled to the LMS's maximum grade, rounded half up to 2 decimals (Moodle's and
    Canvas's default display), never above the maximum: 48.5 of 54 points with a maximum of
    100 is 89.81."""
    if max_points <= 0:
        return Decimal("0.00")
    scaled = Decimal(str(score)) * Decimal(str(max_grade)) / Decimal(str(max_points))
    return min(scaled, Decimal(str(max_grade))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
