"""Finding a class's submissions in a folder.

Two layouts:

- nbgrader's: `submitted/<student>/<exercise-id>/` (also under
  `submitted/<student>/<assignment-name>/<exercise-id>/`); the folder given may
  be `submitted` itself or the folder holding it.
- flat, for one exercise: `<student>/` holds the submission itself (its
  Dockerfile or setup.sh), when no student has a `<exercise-id>/` folder.
"""

from __future__ import annotations

import datetime
import os
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.batch.assignment import moment
from grader.errors import InputError
from grader.sandbox import walk

SUBMITTED = "submitted"


class LayoutError(InputError, ValueError):
    """The folder holds no class the grader can read; the message says why."""


@dataclass(frozen=True)
class Submission:
    """One student's submission of one exercise: a folder."""

    student: str
    exercise_id: str
    folder: Path


@dataclass(frozen=True)
class Class:
    """Every student (a folder each, submissions or not) and their submissions."""

    root: Path
    students: list[str]
    submissions: list[Submission]
    flat: bool = False


def submitted_root(path: Path) -> Path:
    """The folder holding one folder per student: `path/submitted` when there is one, else `path`."""
    if not path.is_dir():
        raise LayoutError(f"There is no folder {path}.")
    path = path.resolve()
    nested = path / SUBMITTED
    return nested if nested.is_dir() else path


def student_folders(root: Path) -> list[Path]:
    """The students' folders, by name; hidden folders (.git, checkpoints) are no students."""
    return sorted(p for p in root.iterdir() if not p.name.startswith(".") and _is_dir(p))


def found_exercises(path: Path, known: Collection[str], assignment_name: str = "") -> list[str]:
    """The known exercise ids some student has a folder for."""
    found: set[str] = set()
    for student in student_folders(submitted_root(path)):
        parents = [student, student / assignment_name] if assignment_name else [student]
        found.update(e for e in known if any(_is_dir(parent / e) for parent in parents))
    return sorted(found)


def discover(path: Path, exercise_ids: Collection[str], *, assignment_name: str = "") -> Class:
    """The class under `path`: its students and their submissions of these exercises.

    With exactly one exercise and no `<student>/<exercise-id>/` folder anywhere,
    each student's folder is their submission (the flat layout).
    """
    root = submitted_root(path)
    students = student_folders(root)
    if not students:
        raise LayoutError(f"{root} holds no student folders (expected {root}/<student>/...).")
    nested = list(_nested(students, exercise_ids, assignment_name))
    if len(exercise_ids) == 1 and not nested:
        (only,) = exercise_ids
        flat = [Submission(student.name, only, student) for student in students]
        return Class(root, [s.name for s in students], flat, flat=True)
    return Class(root, [s.name for s in students], nested)


def _nested(
    students: list[Path], exercise_ids: Collection[str], assignment_name: str
) -> Iterator[Submission]:
    for student in students:
        for exercise_id in sorted(exercise_ids):
            folder = _exercise_folder(student, exercise_id, assignment_name)
            if folder is not None:
                yield Submission(student.name, exercise_id, folder)


def _exercise_folder(student: Path, exercise_id: str, assignment_name: str) -> Path | None:
    candidates = [student / assignment_name / exercise_id] if assignment_name else []
    candidates.append(student / exercise_id)
    return next((folder for folder in candidates if _is_dir(folder)), None)


def _is_dir(path: Path) -> bool:
    """Whether `path` is a folder (or a link to one, refused when graded); False when it cannot be
    looked at. Only its name is looked up: a student's folder is never listed here, so one holding
    a million files costs nothing."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


TIMESTAMP = "timestamp.txt"  # nbgrader's: when the student submitted, in their assignment's folder
TIMESTAMP_BYTES = 200


def submitted_at(folder: Path) -> dict[str, str]:
    """When a submission was handed in, and how that is known: `{"at": ISO 8601, "source": ...}`.

    The source is nbgrader's `timestamp.txt` (in the submission's folder or the folders holding it,
    up to the student's) when one is readable, else "mtime" (the newest file's modification time),
    else "unknown" (`at` is then "").
    """
    stamp = timestamp_of(folder)
    if stamp:
        return {"at": stamp, "source": TIMESTAMP}
    newest = _newest_mtime(folder)
    if newest is None:
        return {"at": "", "source": "unknown"}
    at = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).isoformat(timespec="seconds")
    return {"at": at, "source": "mtime"}


def timestamp_of(folder: Path) -> str:
    """The date of nbgrader's timestamp.txt for this submission (ISO 8601), or "" when none is read."""
    for where in _timestamp_places(folder):
        stamp = _read_timestamp(where / TIMESTAMP)
        if stamp:
            return stamp
    return ""


def _timestamp_places(folder: Path) -> list[Path]:
    """The submission's folder, then those holding it up to the student's (never the class's)."""
    places = [folder]
    for parent in list(folder.parents)[:2]:
        if parent.name == SUBMITTED or (parent / SUBMITTED).is_dir():
            break
        places.append(parent)
    return places


def _read_timestamp(path: Path) -> str:
    """The date in a timestamp.txt (nbgrader writes `2026-12-01 23:59:00.123456 UTC`), or ""."""
    try:
        with walk.open_regular(path) as handle:
            raw = handle.read(TIMESTAMP_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""
    text = raw.strip().removesuffix("UTC").strip()
    when = moment(text)
    return when.isoformat() if when is not None else ""


def _newest_mtime(folder: Path) -> float | None:
    """The newest modification time of the submission's regular files (as lstat sees them), bounded
    by the walk's limits; None for a folder without any file or past its bounds."""
    try:
        entries = walk.walk(folder).entries
    except (walk.Refused, OSError):
        return None
    times = []
    for entry in entries:
        if entry.kind == "file":
            try:
                times.append(os.lstat(entry.path).st_mtime)
            except OSError:
                continue
    return max(times, default=None)
