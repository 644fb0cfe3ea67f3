"""Instructor overrides of a grade, and the roster of LMS ids: small files read before grading.

An overrides file is TOML or CSV, one override per student and exercise:

    [[override]]                      # overrides.toml
    student = "ana"
    exercise = "dockerfiles.hello"
    points = 8                        # the exercise's points, out of its maximum; or:
    # delta = -2                      # points added to (or taken from) the graded score
    comment = "Checked by hand: the image works on arm64."

    student,exercise,points,delta,comment          # overrides.csv (points or delta per row)
    ana,dockerfiles.hello,8,,Checked by hand.

Overrides never change a stored result: they are applied when the outputs are written.
A roster is a CSV of `student,id` (the LMS's id of each student folder's name).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.assignment import AssignmentError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Override:
    """An instructor's decision on one student's exercise: its points, or points added, and why."""

    student: str
    exercise: str
    points: float | None = None  # the exercise's points out of its maximum
    delta: float | None = None  # or points added to the graded score (negative: taken)
    comment: str = ""

    def apply(self, score: float, full: float) -> float:
        """The points after this override, from 0 to the maximum (when one is known)."""
        points = self.points if self.points is not None else score + (self.delta or 0)
        points = max(points, 0.0)
        return min(points, full) if full else points

    @property
    def change(self) -> str:
        """ "set to 8" or "+2" / "-1.5": what the override does, in words."""
        if self.points is not None:
            return f"set to {self.points:g}"
        return f"{self.delta:+g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "exercise": self.exercise,
            "points": self.points,
            "delta": self.delta,
            "comment": self.comment,
        }


def load(path: Path, exercises: Collection[str]) -> tuple[Override, ...]:
    """The overrides in a TOML or CSV file (by its suffix), checked against the assignment's exercises."""
    where = str(path)
    text = _read(path, "overrides file")
    if path.suffix.lower() == ".csv":
        entries: list[Any] = list(csv.DictReader(io.StringIO(text)))
    else:
        try:
            entries = tomllib.loads(text).get("override", [])
        except tomllib.TOMLDecodeError as invalid:
            raise AssignmentError(f"{where} is not valid TOML: {invalid}.") from None
        if not isinstance(entries, list):
            raise AssignmentError(f"{where}: give each override as [[override]] with student and exercise.")
    found = [_override(entry, number, exercises, where) for number, entry in enumerate(entries, 1)]
    _refuse_twice(found, where)
    return tuple(found)


def _read(path: Path, what: str) -> str:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return handle.read(MAX_BYTES)
    except (OSError, UnicodeDecodeError) as unreadable:
        why = unreadable.strerror if isinstance(unreadable, OSError) else "it is not UTF-8 text"
        raise AssignmentError(f"Cannot read the {what} {path}: {why}.") from None


def _override(entry: Any, number: int, exercises: Collection[str], where: str) -> Override:
    """One override from a TOML table or a CSV row (whose empty cells are absent)."""
    at = f"{where}, override {number}"
    if not isinstance(entry, dict):
        raise AssignmentError(f"{at}: give student, exercise, points or delta, and a comment.")
    entry = {key: value for key, value in entry.items() if key and value not in ("", None)}
    student, exercise = str(entry.get("student", "")).strip(), str(entry.get("exercise", "")).strip()
    if not student or not exercise:
        raise AssignmentError(f"{at}: name the student and the exercise.")
    if exercise not in exercises:
        raise AssignmentError(
            f"{at}: {exercise!r} is no exercise of the assignment ({', '.join(sorted(exercises))})."
        )
    points, delta = _number(entry.get("points"), at), _number(entry.get("delta"), at)
    if (points is None) == (delta is None):
        raise AssignmentError(f"{at}: give either points (the exercise's new points) or delta, one of them.")
    if points is not None and points < 0:
        raise AssignmentError(f"{at}: points cannot be negative ({points:g}); use delta to take points away.")
    return Override(student, exercise, points, delta, str(entry.get("comment", "")).strip())


def _number(value: Any, at: str) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise AssignmentError(f"{at}: points and delta are numbers, not {value!r}.") from None


def _refuse_twice(found: Iterable[Override], where: str) -> None:
    seen: set[tuple[str, str]] = set()
    for override in found:
        pair = (override.student, override.exercise)
        if pair in seen:
            raise AssignmentError(f"{where}: {pair[0]}'s {pair[1]} is overridden twice; keep one.")
        seen.add(pair)


def check_students(overrides: Iterable[Override], students: Collection[str], where: str) -> None:
    """Refuse an override naming a student who is not in the class (a typo would be silently lost)."""
    unknown = sorted({o.student for o in overrides} - set(students))
    if unknown:
        raise AssignmentError(
            f"{where}: no student {', '.join(unknown)} in the class. Students: {', '.join(students)}."
        )


def load_roster(path: Path) -> dict[str, str]:
    """A roster CSV (`student,id` columns, with that header): each student folder's LMS id."""
    rows = list(csv.reader(io.StringIO(_read(path, "roster"))))
    if not rows or [cell.strip().lower() for cell in rows[0][:2]] != ["student", "id"]:
        raise AssignmentError(f"{path}: a roster is a CSV whose first line is student,id.")
    ids: dict[str, str] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise AssignmentError(f"{path}, line {number}: give a student and their id.")
        ids[row[0].strip()] = row[1].strip()
    return ids


def by_pair(overrides: Iterable[Override]) -> Mapping[tuple[str, str], Override]:
    """The overrides by (student, exercise)."""
    return {(o.student, o.exercise): o for o in overrides}
