"""Finding a class's submissions in a folder.

Two layouts:

- nbgrader's: `submitted/<student>/<exercise-id>/` (also under
  `submitted/<student>/<assignment-name>/<exercise-id>/`); the folder given may
  be `submitted` itself or the folder holding it.
- flat, for one exercise: `<student>/` holds the submission itself (its
  Dockerfile or setup.sh), when no student has a `<exercise-id>/` folder.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

SUBMITTED = "submitted"


class LayoutError(ValueError):
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
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def found_exercises(path: Path, known: Collection[str], assignment_name: str = "") -> list[str]:
    """The known exercise ids some student has a folder for."""
    found: set[str] = set()
    for student in student_folders(submitted_root(path)):
        parents = [student, student / assignment_name] if assignment_name else [student]
        found.update(folder.name for parent in parents for folder in _subfolders(parent))
    return sorted(found & set(known))


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
    return next((folder for folder in candidates if folder.is_dir()), None)


def _subfolders(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
