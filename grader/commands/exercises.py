"""`grader exercises`: the course's exercises, one line each."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from grader.exercise import all_exercises


def main() -> int:
    table = Table("Exercise", "Kind", "Title", title="Exercises")
    for exercise in all_exercises():
        table.add_row(exercise.id, exercise.kind, exercise.title)
    Console().print(table)
    return 0
