"""The gradebook as CSV, for a spreadsheet or an LMS import.

    student,id,dockerfiles.hello (max 10, weight 20),...,total,possible,percent,status,late (days)
    (maximum),,10,...,,,,,
    (weight),,20,...,100,,,,
    ana,s123,10,...,92.5,100,92.5,graded,

One row per student after two rows giving each exercise's maximum and its weight (they start with a
parenthesis, so no student folder can be mistaken for them). An exercise's cell holds the student's
points after any override and late penalty (empty: not handed in). The `id` column, from a roster
(`--roster`), is there only when a roster is given.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from grader.batch.gradebook import ExerciseGrade, Gradebook, Graded
from grader.safe_text import csv_cell

MAXIMUM, WEIGHT = "(maximum)", "(weight)"
LATE = "late (days)"


def column(book: Gradebook, exercise: str) -> str:
    """An exercise's column heading with its maximum and weight: "dockerfiles.hello (max 10, weight 20)"."""
    return f"{exercise} (max {book.points.get(exercise, 0):g}, weight {book.worth(exercise):g})"


def header(book: Gradebook, ids: bool = False) -> list[str]:
    """The columns: student, [id], each exercise (its maximum and weight), total, possible, percent,
    status, late (days)."""
    first = ["student", "id"] if ids else ["student"]
    exercises = [column(book, e) for e in book.exercises]
    return [*first, *exercises, "total", "possible", "percent", "status", LATE]


def limits(book: Gradebook, ids: bool = False) -> list[list[str]]:
    """The two rows under the header: each exercise's maximum, then its weight (and the possible)."""
    blank = [""] if ids else []
    maxima = [f"{book.points.get(e, 0):g}" for e in book.exercises]
    weights = [f"{book.worth(e):g}" for e in book.exercises]
    possible = f"{sum(book.worth(e) for e in book.exercises):g}"
    return [
        [MAXIMUM, *blank, *maxima, "", "", "", "", ""],
        [WEIGHT, *blank, *weights, possible, "", "", "", ""],
    ]


def row(book: Gradebook, student: str, ids: Mapping[str, str] | None = None) -> list[str]:
    """One student's cells, as `header` names them; a missing exercise is an empty cell."""
    grade = book.grade(student)
    lines = {line.exercise: line for line in grade.exercises}
    scores = [_points(lines.get(exercise)) for exercise in book.exercises]
    first = [student, ids.get(student, "")] if ids is not None else [student]
    late = str(grade.late_days) if grade.late_days else ""
    totals = [f"{grade.total:g}", f"{grade.possible:g}", f"{grade.percent:g}", grade.status, late]
    return [*first, *scores, *totals]


def _points(line: ExerciseGrade | None) -> str:
    """A cell: the points after adjustments; empty when not handed in and not overridden."""
    if line is None or (line.result is None and not line.adjusted):
        return ""
    return f"{line.points:g}"


def write(graded: Gradebook | Graded, path: Path, ids: Mapping[str, str] | None = None) -> Path:
    """Write the gradebook (or the results it is made of) as CSV. Names and ids are cells a
    spreadsheet must never read as formulas (`csv_cell`)."""
    book = graded if isinstance(graded, Gradebook) else Gradebook.of(graded)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(cell) for cell in header(book, ids is not None)])
        writer.writerows(limits(book, ids is not None))
        for student in book.students:
            writer.writerow([csv_cell(cell) for cell in row(book, student, ids)])
    return path
