"""What changes a grade after grading, applied when the outputs are written (stored results stay raw):
late work and its penalty, instructor overrides, and when hints are released to students."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.batch import layout
from grader.batch.assignment import Assignment, moment
from grader.batch.overrides import Override, by_pair
from grader.model.result import CheckResult, Result

if TYPE_CHECKING:
    from grader.batch.gradebook import ExerciseGrade, Grade

DAY_S = 86_400
Pair = tuple[str, str]  # (student, exercise)


@dataclass(frozen=True)
class Adjustment:
    """How one student's exercise is adjusted: when it came, how late, the penalty, an override."""

    submitted: str = ""  # ISO 8601, "" when not known
    source: str = ""  # how it is known: "timestamp.txt", "mtime", "unknown"
    due: str = ""  # this student's due date ("": none)
    late_days: int = 0  # started days past the due date
    penalty: float = 0.0  # percent of the points lost for lateness
    override: Override | None = None

    def apply(self, score: float, full: float) -> float:
        """The points after the override (if any), then the late penalty, to the hundredth."""
        points = self.override.apply(score, full) if self.override is not None else score
        return round(points * (1 - self.penalty / 100), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "submitted_source": self.source,
            "due": self.due,
            "late_days": self.late_days,
            "penalty_percent": self.penalty,
            "override": self.override.to_dict() if self.override else None,
        }


def late_days(submitted: str, due: str) -> int:
    """Started days between `due` and `submitted` (0 when on time or either is unknown)."""
    handed, until = moment(submitted), moment(due)
    if handed is None or until is None or handed <= until:
        return 0
    return math.ceil((handed - until).total_seconds() / DAY_S)


def submitted_of(record: Mapping[str, Any]) -> dict[str, str]:
    """When a stored result's submission came, from its record. A record dated by its files' times
    gives way to a timestamp.txt found since (nbgrader's collect, after grading: a timestamp alone
    changes no key, so nothing is graded again); a record written before the grader recorded a
    time is dated from its folder, if it is still there."""
    found = record.get("submitted")
    folder = Path(str(record.get("submission", {}).get("path", "")))
    if isinstance(found, dict) and found.get("source") == layout.TIMESTAMP:
        return {"at": str(found.get("at", "")), "source": layout.TIMESTAMP}
    stamp = layout.timestamp_of(folder) if folder.is_dir() else ""
    if stamp:
        return {"at": stamp, "source": layout.TIMESTAMP}
    if isinstance(found, dict) and "at" in found:
        return {"at": str(found["at"]), "source": str(found.get("source", ""))}
    return layout.submitted_at(folder) if folder.is_dir() else {"at": "", "source": "unknown"}


def adjustment(
    chosen: Assignment, student: str, record: Mapping[str, Any] | None, override: Override | None
) -> Adjustment:
    """One student's exercise adjusted: lateness from its record (None: not handed in), an override."""
    when = submitted_of(record) if record is not None else {"at": "", "source": ""}
    due = chosen.due_for(student)
    days = late_days(when["at"], due)
    penalty = chosen.late_penalty.percent(days) if chosen.late_penalty and days else 0.0
    return Adjustment(when["at"], when["source"], due, days, penalty, override)


def adjustments(chosen: Assignment, records: Mapping[Pair, Mapping[str, Any]]) -> dict[Pair, Adjustment]:
    """Every stored result's adjustment, and each override's (an override may give points to an
    exercise not handed in)."""
    overrides = by_pair(chosen.overrides)
    pairs = sorted({*records, *overrides})
    return {pair: adjustment(chosen, pair[0], records.get(pair), overrides.get(pair)) for pair in pairs}


def released_view(result: Result, released: bool | None) -> Result:
    """What student-facing outputs may show of a result, given the release of hints.

    None (no release date): as always, hints shown, hidden checks' findings never. False (before
    the release date): no check shows a hint, hidden checks no finding. True (after it): every
    check shows everything, hidden ones included.
    """
    if released is None:
        return result
    return replace(result, checks=[_released(check, released) for check in result.checks])


def _released(check: CheckResult, released: bool) -> CheckResult:
    if released:
        return replace(check, hidden=False)
    return replace(check, hint="")


def release_note(chosen: Assignment, released: bool | None) -> str:
    """A sentence for students about held-back hints, or ""."""
    if released is False:
        return f"Hints, and what hidden checks found, are shown after {_readable(chosen.release_hints)}."
    return ""


def notes(grade: Grade) -> list[str]:
    """Plain sentences for the student about what changed their points (late work, the instructor's
    overrides, with the comment) and the grade's note; to be escaped where they are shown."""
    found = [note for line in grade.exercises for note in _line_notes(line)]
    return [*found, grade.note] if grade.note else found


def _line_notes(line: ExerciseGrade) -> list[str]:
    adjusted = line.adjustment
    if adjusted is None:
        return []
    found = []
    if adjusted.late_days:
        days = f"{adjusted.late_days} day{'s' if adjusted.late_days != 1 else ''}"
        penalty = f": {adjusted.penalty:g}% of its points taken off" if adjusted.penalty else ""
        found.append(
            f"Late: {line.exercise} was handed in {_readable(adjusted.submitted)}, {days} after it was"
            f" due ({_readable(adjusted.due)}){penalty}."
        )
    if adjusted.override is not None:
        comment = f" Comment: {adjusted.override.comment}" if adjusted.override.comment else ""
        found.append(
            f"Changed by your instructor: {line.exercise} graded {line.raw:g},"
            f" {adjusted.override.change}, now {line.points:g}/{line.full:g}.{comment}"
        )
    return found


def _readable(iso: str) -> str:
    when = moment(iso)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if when else iso
