"""`grader check`: grade one submission folder against one exercise, or the student's engine live."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader import exercise as exercises
from grader import live as live_checks
from grader import report
from grader.grade import grade
from grader.result import Result


def main(*, exercise_id: str, submission: Path | None, live: bool = False, as_json: bool) -> int:
    """Grade and print the result; 0 when graded (any score), 1 when grading could not happen."""
    console = Console(stderr=as_json)
    try:
        exercise = exercises.load(exercise_id)
    except exercises.UnknownExercise as unknown:
        console.print(f"[red]{unknown}[/]")
        return 2
    try:
        result = _check(exercise, submission, live, console)
    except live_checks.NotLive as not_live:
        console.print(f"[red]{not_live}[/]")
        return 2
    if as_json:
        print(result.to_json())
    else:
        report.show(result, console)
    if result.status == "error":
        console.print(f"[red]Grading could not happen:[/] {result.reason}")
        return 1
    return 0


def _check(exercise: exercises.Exercise, submission: Path | None, live: bool, console: Console) -> Result:
    if live or submission is None:
        with console.status(f"Checking {exercise.id} on your Docker engine..."):
            return live_checks.check(exercise)
    with console.status(f"Grading {submission} against {exercise.id} in a fresh sandbox..."):
        return grade(exercise, submission)
