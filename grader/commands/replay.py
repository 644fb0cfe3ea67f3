"""`grader replay`: grade a stored result's submission again and compare old and new scores."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.batch import replay
from grader.exit_codes import Exit
from grader.model.result import CheckResult, Result
from grader.outputs.console import make as make_console
from grader.safe_text import for_terminal, terminal_line

REPRODUCED, DIFFERS, CANNOT = Exit.OK, Exit.FAILED, Exit.USAGE  # CannotReplay is bad input: USAGE


def main(*, result_json: Path) -> int:
    """Grade again and compare; 0 when every check scores as recorded, 1 when not. What cannot be
    replayed raises CannotReplay (or UnknownExercise), which the `grader` group says."""
    console = make_console()
    stored, exercise, folder = replay.check(result_json)
    for difference in replay.differences(stored, exercise):
        console.print(Text.assemble(("Warning:", "yellow"), " ", for_terminal(difference)))
    grading = f"Grading {terminal_line(str(folder))} against {exercise.id} again in a fresh sandbox..."
    with console.status(Text(grading)):
        result = replay.again(exercise, folder)
    return _compare(stored.result, result, console)


def _compare(old: Result, new: Result, console: Console) -> int:
    """Print old and new points per check, and whether the grade is reproduced."""
    console.print(_table(old, new))
    if old.image_id or new.image_id:
        then, now = terminal_line(old.image_id or "-"), terminal_line(new.image_id or "-")
        console.print(
            f"Built image: {then} then, {now} now "
            "(an image's ID includes when it was built, so it differs from build to build).",
            highlight=False,
            markup=False,
        )
    if new.status != "graded":
        console.print(Text(f"Now {terminal_line(new.status)}: {for_terminal(new.reason)}"))
    if _points(old) == _points(new) and old.status == new.status:
        console.print(f"[green]Reproduced:[/] {new.score:g}/{new.max_score:g}, check by check.")
        return REPRODUCED
    console.print(
        f"[red]Differs:[/] {old.score:g}/{old.max_score:g} then, {new.score:g}/{new.max_score:g} now."
    )
    return DIFFERS


def _table(old: Result, new: Result) -> Table:
    table = Table("check", "then", "now", "")
    before, after = _by_name(old), _by_name(new)
    for name in [*before, *(name for name in after if name not in before)]:
        then, now = _points_of(before.get(name)), _points_of(after.get(name))
        table.add_row(Text(terminal_line(name)), then, now, "" if then == now else "[red]differs[/]")
    statuses = Text(terminal_line(old.status)), Text(terminal_line(new.status))
    table.add_row("status", *statuses, "" if old.status == new.status else "[red]differs[/]")
    table.add_row("total", f"{old.score:g}/{old.max_score:g}", f"{new.score:g}/{new.max_score:g}", "")
    return table


def _by_name(result: Result) -> dict[str, CheckResult]:
    return {check.name: check for check in result.checks}


def _points_of(check: CheckResult | None) -> str:
    return "-" if check is None else f"{check.points:g}/{check.max_points:g}"


def _points(result: Result) -> dict[str, str]:
    return {name: _points_of(check) for name, check in _by_name(result).items()}
