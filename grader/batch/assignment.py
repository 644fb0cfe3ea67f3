"""An assignment: which exercises are graded, how much each weighs, and when it is due.

    name = "Week 3: Dockerfiles"
    due = 2026-12-01T23:59:00Z      # optional
    late_penalty = { per_day = 10, max = 50 }   # optional, percent of the points, per started day
    release_hints = 2026-12-08T00:00:00Z        # optional: hints and hidden checks' findings shown after
    overrides = "overrides.toml"    # optional, next to this file (see grader/batch/overrides.py)

    [extensions]                    # optional: a later due date for some students
    ana = 2026-12-03T23:59:00Z

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import InputError

if TYPE_CHECKING:
    from grader.batch.overrides import Override

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class AssignmentError(InputError, ValueError):
    """The assignment file cannot be used; the message says why and what would do."""


@dataclass(frozen=True)
class Item:
    """One graded exercise and its weight (None: worth its own points)."""

    exercise: str
    weight: float | None = None


@dataclass(frozen=True)
class LatePenalty:
    """Points lost by late work: `per_day` percent of the points per started day late, at most `max`."""

    per_day: float
    max: float = 100.0

    def percent(self, days: int) -> float:
        """The percentage lost by work `days` days late."""
        return min(self.per_day * max(days, 0), self.max)


@dataclass(frozen=True)
class Assignment:
    """What a batch grades, how the total is weighed, when it is due and what else adjusts it."""

    name: str
    items: tuple[Item, ...]
    due: str = ""  # ISO 8601 (UTC when the file gave no offset)
    late_penalty: LatePenalty | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)  # student -> their own due date
    release_hints: str = ""  # ISO 8601; "": hints shown at once, hidden checks' findings never
    overrides_file: str = ""  # as resolved from the file, read by the plan
    overrides: tuple[Override, ...] = ()  # read from the overrides file(s)
    ids: Mapping[str, str] = field(default_factory=dict)  # student -> their id in the LMS (--roster)

    @property
    def exercise_ids(self) -> list[str]:
        return [item.exercise for item in self.items]

    @property
    def weights(self) -> dict[str, float | None]:
        return {item.exercise: item.weight for item in self.items}

    def due_for(self, student: str) -> str:
        """When this student's work is due: their extension, or the assignment's date ("": never)."""
        return self.extensions.get(student, self.due)

    def released(self, now: datetime.datetime | None = None) -> bool | None:
        """Whether hints and hidden checks' findings are released to students: None without a
        release date (hints shown, findings of hidden checks never), else whether `now` is past it."""
        if not self.release_hints:
            return None
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return now >= datetime.datetime.fromisoformat(self.release_hints)

    def to_dict(self) -> dict[str, Any]:
        penalty = self.late_penalty
        return {
            "name": self.name,
            "due": self.due,
            "exercises": self.weights,
            "late_penalty": {"per_day": penalty.per_day, "max": penalty.max} if penalty else None,
            "extensions": dict(self.extensions),
            "release_hints": self.release_hints,
            "overrides": [override.to_dict() for override in self.overrides],
        }


def implicit(name: str, exercise_ids: Collection[str]) -> Assignment:
    """An assignment of these exercises, each worth its own points."""
    return Assignment(name, tuple(Item(exercise_id) for exercise_id in sorted(exercise_ids)))


def load(path: Path, known: Collection[str]) -> Assignment:
    """Read and validate an assignment file against the `known` exercise ids; an `overrides` file it
    names is taken relative to it."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as unreadable:
        raise AssignmentError(f"Cannot read the assignment file {path}: {unreadable.strerror}.") from None
    except tomllib.TOMLDecodeError as invalid:
        raise AssignmentError(f"{path} is not valid TOML: {invalid}.") from None
    chosen = parse(data, known, where=str(path))
    if chosen.overrides_file:
        chosen = replace(chosen, overrides_file=str(path.parent / chosen.overrides_file))
    return chosen


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
    return Assignment(
        name.strip(),
        items,
        _due(data.get("due"), where),
        _late_penalty(data.get("late_penalty"), where),
        _extensions(data.get("extensions"), where),
        _due(data.get("release_hints"), where, key="release_hints"),
        _overrides_file(data.get("overrides"), where),
    )


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


def moment(value: Any) -> datetime.datetime | None:
    """A date and time from TOML or text, in UTC when it names no offset (a date alone: its midnight);
    None when it is none."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    if not isinstance(value, datetime.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _due(value: Any, where: str, key: str = "due") -> str:
    if value is None:
        return ""
    when = moment(value)
    if when is None:
        raise AssignmentError(f"{where}: {key} must be a date such as 2026-12-01T23:59:00Z, not {value!r}.")
    return when.isoformat()


def _percent(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 <= value <= 100


def _late_penalty(value: Any, where: str) -> LatePenalty | None:
    """`late_penalty = 10` (percent per day) or `{ per_day = 10, max = 50 }`."""
    if value is None:
        return None
    table = value if isinstance(value, dict) else {"per_day": value}
    unknown = sorted(set(table) - {"per_day", "max"})
    per_day, most = table.get("per_day"), table.get("max", 100)
    if unknown or not isinstance(per_day, (int, float)) or not _percent(per_day) or not _percent(most):
        raise AssignmentError(
            f"{where}: late_penalty must be a percentage per day late, e.g. late_penalty = 10, or"
            f" late_penalty = {{ per_day = 10, max = 50 }} (numbers from 0 to 100), not {value!r}."
        )
    return LatePenalty(float(per_day), float(most))


def _extensions(value: Any, where: str) -> dict[str, str]:
    """`[extensions]`: a student's folder name = their own due date."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AssignmentError(
            f"{where}: give extensions as a table: [extensions] then ana = 2026-12-03T23:59:00Z."
        )
    return {
        str(student): _due(when, where, key=f"the extension of {student}") for student, when in value.items()
    }


def _overrides_file(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise AssignmentError(f'{where}: overrides names a file, e.g. overrides = "overrides.toml".')
    return value.strip()
