"""A class's results as a gradebook: one row per student, one column per exercise, a weighted total."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from grader.result import Result

Graded = list[tuple[str, Result]]
Weights = Mapping[str, "float | None"]  # exercise id -> weight; None: the exercise's own points


@dataclass
class Gradebook:
    """Each student's result per exercise, and how the total is weighed.

    Without weights a total is the sum of the student's own results (and
    possible, of their maximum). With weights every listed exercise counts:
    it adds weight x score / full marks, a missing one adds 0 of its weight.
    """

    exercises: list[str]
    students: dict[str, dict[str, Result]]
    weights: Weights | None = None
    points: dict[str, float] = field(default_factory=dict)  # full marks of each exercise

    @classmethod
    def of(cls, graded: Graded, *, weights: Weights | None = None, students: Iterable[str] = ()) -> Gradebook:
        """A gradebook of these results; `students` adds rows for students without any."""
        exercises = list(weights) if weights is not None else sorted({r.exercise for _, r in graded})
        by_student: dict[str, dict[str, Result]] = {name: {} for name in students}
        points: dict[str, float] = {}
        for student, result in graded:
            by_student.setdefault(student, {})[result.exercise] = result
            points[result.exercise] = max(points.get(result.exercise, 0), result.max_score)
        return cls(exercises, dict(sorted(by_student.items())), weights, points)

    def worth(self, exercise: str) -> float:
        """What an exercise adds to the possible total."""
        weight = self.weights.get(exercise) if self.weights is not None else None
        return self.points.get(exercise, 0) if weight is None else weight

    def total(self, student: str) -> tuple[float, float]:
        """The student's total and the total possible."""
        results = self.students[student]
        if self.weights is None:
            return _sum(r.score for r in results.values()), _sum(r.max_score for r in results.values())
        earned = (self.share(results[e]) for e in self.exercises if e in results)
        return _sum(earned), _sum(self.worth(e) for e in self.exercises)

    def share(self, result: Result) -> float:
        """What one result adds to the total."""
        if self.weights is None:
            return result.score
        full = self.points.get(result.exercise, 0)
        return self.worth(result.exercise) * result.score / full if full else 0


def _sum(values: Iterable[float]) -> float:
    return round(sum(values), 2)


def rows(graded: Graded) -> tuple[list[str], dict[str, dict[str, Result]]]:
    """The exercises (columns) and, per student, their result for each."""
    book = Gradebook.of(graded)
    return book.exercises, book.students


def _book(graded: Gradebook | Graded) -> Gradebook:
    return graded if isinstance(graded, Gradebook) else Gradebook.of(graded)


def write_csv(graded: Gradebook | Graded, path: Path) -> Path:
    """Write the gradebook as CSV: student, each exercise's score, total, possible."""
    book = _book(graded)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *book.exercises, "total", "possible"])
        for student, results in book.students.items():
            scores = [_score(results.get(exercise)) for exercise in book.exercises]
            total, possible = book.total(student)
            writer.writerow([student, *scores, f"{total:g}", f"{possible:g}"])
    return path


def to_dict(
    book: Gradebook, records: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Everything in the gradebook; `records` (by student and exercise) replace bare results."""
    records = records or {}

    def entry(student: str, result: Result) -> Mapping[str, Any]:
        return records.get((student, result.exercise)) or {"result": result.to_dict()}

    return {
        "exercises": [
            {"id": e, "weight": book.worth(e), "points": book.points.get(e, 0)} for e in book.exercises
        ],
        "students": [
            {
                "student": student,
                "total": book.total(student)[0],
                "possible": book.total(student)[1],
                "exercises": {exercise: entry(student, result) for exercise, result in results.items()},
            }
            for student, results in book.students.items()
        ],
    }


def write_json(data: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def table(graded: Gradebook | Graded) -> Table:
    """The gradebook for a terminal."""
    book = _book(graded)
    grid = Table(title="Gradebook", show_lines=False)
    grid.add_column("Student", style="bold")
    for exercise in book.exercises:
        grid.add_column(escape(exercise.split(".", 1)[-1]), justify="right")
    grid.add_column("Total", justify="right", style="bold")
    for student, results in book.students.items():
        cells = [_cell(results.get(exercise)) for exercise in book.exercises]
        total, possible = book.total(student)
        grid.add_row(escape(student), *cells, f"{total:g}/{possible:g}")
    return grid


def _score(result: Result | None) -> str:
    return "" if result is None else f"{result.score:g}"


def _cell(result: Result | None) -> str:
    if result is None:
        return "[dim]-[/]"
    text = f"{result.score:g}/{result.max_score:g}"
    if result.status != "graded":
        return f"[red]{text} {result.status}[/]"
    return f"[green]{text}[/]" if result.score == result.max_score else text


NotebookScores = dict[str, dict[str, tuple[float, float]]]  # student -> assignment -> (score, max)


def notebook_scores(rows: Iterable[Mapping[str, str]]) -> NotebookScores:
    """Each student's score and maximum per notebook assignment, from nbgrader's exported CSV rows."""
    scores: NotebookScores = {}
    for row in rows:
        score = (float(row["score"] or 0), float(row["max_score"] or 0))
        scores.setdefault(row["student_id"], {})[row["assignment"]] = score
    return dict(sorted(scores.items()))


def write_course_csv(book: Gradebook, notebooks: NotebookScores, path: Path) -> Path:
    """One CSV for the course: per student, each notebook's and each exercise's score, total, possible.

    A notebook adds its score and its maximum; exercises add what they add in `book`.
    """
    assignments = sorted({a for by_assignment in notebooks.values() for a in by_assignment})
    full = {a: max(s[a][1] for s in notebooks.values() if a in s) for a in assignments}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *assignments, *book.exercises, "total", "possible"])
        for student in sorted({*book.students, *notebooks}):
            mine = notebooks.get(student, {})
            results = book.students.get(student, {})
            earned, possible = (
                book.total(student) if student in book.students else (0.0, _empty_possible(book))
            )
            earned += sum(score for score, _ in mine.values())
            possible += sum(full.values())
            cells = [_notebook_cell(mine.get(a)) for a in assignments]
            cells += [_score(results.get(e)) for e in book.exercises]
            writer.writerow([student, *cells, f"{round(earned, 2):g}", f"{round(possible, 2):g}"])
    return path


def _empty_possible(book: Gradebook) -> float:
    """What a student without any exercise result could have earned (weights count; own points do not)."""
    return _sum(book.worth(e) for e in book.exercises) if book.weights is not None else 0.0


def _notebook_cell(score: tuple[float, float] | None) -> str:
    return "" if score is None else f"{score[0]:g}"
