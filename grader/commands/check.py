"""`grader check`: grade one submission folder against one exercise."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader import exercise as exercises
from grader import report
from grader.grade import grade


def main(*, exercise_id: str, submission: Path, as_json: bool) -> int:
    """Grade and print the result; 0 when graded (any score), 1 when grading could not happen."""
    console = Console(stderr=as_json)
    try:
        exercise = exercises.load(exercise_id)
    except exercises.UnknownExercise as unknown:
        console.print(f"[red]{unknown}[/]")
        return 2
    with console.status(f"Grading {submission} against {exercise_id} in a fresh sandbox..."):
        result = grade(exercise, submission)
    if as_json:
        print(result.to_json())
    else:
        report.show(result, console)
    if result.status == "error":
        console.print(f"[red]Grading could not happen:[/] {result.reason}")
        return 1
    return 0
