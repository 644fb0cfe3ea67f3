"""`grader check`: grade one submission folder against one exercise, or the student's engine live."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader.commands import did_you_mean
from grader.exit_codes import Exit
from grader.grading import live as live_checks
from grader.grading.grade import grade
from grader.model import exercise as exercises
from grader.model.result import Result
from grader.outputs import report
from grader.outputs.console import make as make_console
from grader.safe_text import for_terminal


def main(*, exercise_id: str, submission: Path | None, live: bool = False, as_json: bool) -> int:
    """Grade and print the result; 0 when graded (any score), 1 when grading could not happen, 2 for an
    unknown exercise or one that cannot be checked live. Errors go to stderr."""
    console, errors = make_console(stderr=as_json), make_console(stderr=True)
    try:
        exercise = exercises.load(exercise_id)
    except exercises.UnknownExercise as unknown:
        known = (e.id for e in exercises.all_exercises())
        errors.print(Text(for_terminal(str(unknown) + did_you_mean(exercise_id, known)), style="red"))
        return Exit.USAGE
    try:
        result = _check(exercise, submission, live, console)
    except live_checks.NotLive as not_live:
        errors.print(Text(for_terminal(str(not_live)), style="red"))
        return Exit.USAGE
    if as_json:
        print(result.to_json())
    else:
        report.show(result, console)
    if result.status == "error":
        reason = result.for_student().reason  # no sandbox path
        errors.print(Text.assemble(("Grading could not happen:", "red"), " ", for_terminal(reason)))
        return Exit.FAILED
    return Exit.OK


def _check(exercise: exercises.Exercise, submission: Path | None, live: bool, console: Console) -> Result:
    if live or submission is None:
        with console.status(f"Checking {exercise.id} on your Docker engine..."):
            return live_checks.check(exercise)
    with console.status(f"Grading {submission} against {exercise.id} in a fresh sandbox..."):
        return grade(exercise, submission)
