"""An assignment: which exercises are graded, how much each weighs, and when it is due.

    name = "Week 3: Dockerfiles"
    due = 2026-12-01T23:59:00Z      # optional

    [[exercises]]
    id = "dockerfiles.hello"
    weight = 1                      # optional: without it, the exercise's own points

Without an assignment file, the exercises found in the submissions make one, each
worth its own points.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class AssignmentError(ValueError):
    """The assignment file cannot be used; the message says why and what would do."""


@dataclass(frozen=True)
class Item:
    """One graded exercise and its weight (None: worth its own points)."""

    exercise: str
    weight: float | None = None


@dataclass(frozen=True)
class Assignment:
    """What a batch grades and how the total is weighed."""

    name: str
    items: tuple[Item, ...]
    due: str = ""  # ISO 8601, as the file gave it

    @property
    def exercise_ids(self) -> list[str]:
        return [item.exercise for item in self.items]

    @property
    def weights(self) -> dict[str, float | None]:
        return {item.exercise: item.weight for item in self.items}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "due": self.due, "exercises": self.weights}


def implicit(name: str, exercise_ids: Collection[str]) -> Assignment:
    """An assignment of these exercises, each worth its own points."""
    return Assignment(name, tuple(Item(exercise_id) for exercise_id in sorted(exercise_ids)))


def load(path: Path, known: Collection[str]) -> Assignment:
    """Read and validate an assignment file against the `known` exercise ids."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as unreadable:
        raise AssignmentError(f"Cannot read the assignment file {path}: {unreadable.strerror}.") from None
    except tomllib.TOMLDecodeError as invalid:
        raise AssignmentError(f"{path} is not valid TOML: {invalid}.") from None
    return parse(data, known, where=str(path))


def parse(data: Mapping[str, Any], known: Collection[str], *, where: str = "the assignment") -> Assignment:
    """An Assignment from the data of an assignment file, or an AssignmentError saying what is wrong."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AssignmentError(f'{where}: give the assignment a name, e.g. name = "Week 3".')
    entries = data.get("exercises")
    if not isinstance(entries, list) or not entries:
        raise AssignmentError(f'{where}: list its exercises, each as [[exercises]] with id = "...".')
    items = tuple(_item(entry, known, where) for entry in entries)
    ids = [item.exercise for item in items]
    twice = sorted({exercise_id for exercise_id in ids if ids.count(exercise_id) > 1})
    if twice:
        raise AssignmentError(f"{where}: each exercise once; listed more than once: {', '.join(twice)}.")
    return Assignment(name.strip(), items, _due(data.get("due"), where))


def _item(entry: Any, known: Collection[str], where: str) -> Item:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise AssignmentError(f'{where}: every [[exercises]] needs an id = "...".')
    exercise_id = entry["id"]
    if exercise_id not in known:
        names = ", ".join(sorted(known)) or "none"
        raise AssignmentError(f"{where}: there is no exercise '{exercise_id}'. Known exercises: {names}.")
    weight = entry.get("weight")
    if weight is None:
        return Item(exercise_id)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise AssignmentError(
            f"{where}: the weight of {exercise_id} must be a number above 0, not {weight!r}."
        )
    return Item(exercise_id, float(weight))


def _due(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
    raise AssignmentError(f"{where}: due must be a date such as 2026-12-01T23:59:00Z, not {value!r}.")
