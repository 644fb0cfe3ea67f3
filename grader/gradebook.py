"""A class's results as a gradebook: one row per student, one column per exercise."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from grader.result import Result

Graded = list[tuple[str, Result]]


def rows(graded: Graded) -> tuple[list[str], dict[str, dict[str, Result]]]:
    """The exercises (columns) and, per student, their result for each."""
    exercises = sorted({result.exercise for _, result in graded})
    by_student: dict[str, dict[str, Result]] = defaultdict(dict)
    for student, result in graded:
        by_student[student][result.exercise] = result
    return exercises, dict(sorted(by_student.items()))


def write_csv(graded: Graded, path: Path) -> Path:
    """Write the gradebook as CSV: student, each exercise's score, total, possible."""
    exercises, students = rows(graded)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *exercises, "total", "possible"])
        for student, results in students.items():
            scores = [_score(results.get(exercise)) for exercise in exercises]
            total = sum(result.score for result in results.values())
            possible = sum(result.max_score for result in results.values())
            writer.writerow([student, *scores, f"{total:g}", f"{possible:g}"])
    return path


def table(graded: Graded) -> Table:
    """The gradebook for a terminal."""
    exercises, students = rows(graded)
    grid = Table(title="Gradebook", show_lines=False)
    grid.add_column("Student", style="bold")
    for exercise in exercises:
        grid.add_column(escape(exercise.split(".", 1)[-1]), justify="right")
    grid.add_column("Total", justify="right", style="bold")
    for student, results in students.items():
        cells = [_cell(results.get(exercise)) for exercise in exercises]
        total = sum(result.score for result in results.values())
        possible = sum(result.max_score for result in results.values())
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
