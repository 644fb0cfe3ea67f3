"""`grader replay`: grade a stored result's submission again and compare old and new scores."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.batch import provenance, store
from grader.exit_codes import Exit
from grader.grading.grade import grade
from grader.host import engine
from grader.model import exercise as exercises
from grader.model.result import CheckResult, Result
from grader.outputs.console import make as make_console
from grader.safe_text import for_terminal, terminal_line

REPRODUCED, DIFFERS, CANNOT = Exit.OK, Exit.FAILED, Exit.USAGE


class CannotReplay(Exception):
    """The stored result cannot be graded again as it was; the message says why."""


def main(*, result_json: Path) -> int:
    """Grade again and compare; 0 when every check scores as recorded, 1 when not, 2 when it cannot
    (said on stderr)."""
    console = make_console()
    try:
        stored = _stored(result_json)
        exercise = exercises.load(stored.exercise_id)
        folder = _submission(stored, exercise.limits.context_bytes)
    except (CannotReplay, exercises.UnknownExercise) as refused:
        make_console(stderr=True).print(Text(for_terminal(str(refused)), style="red"))
        return CANNOT
    client = engine.connect()
    for difference in provenance.differences(stored.record, provenance.now(client, exercise)):
        console.print(Text.assemble(("Warning:", "yellow"), " ", for_terminal(difference)))
    grading = f"Grading {terminal_line(str(folder))} against {exercise.id} again in a fresh sandbox..."
    with console.status(Text(grading)):
        result = grade(exercise, folder, host=client)
    return _compare(stored.result, result, console)


def _stored(path: Path) -> store.Stored:
    """The result stored in `path`."""
    stored = store.load(path)
    if stored is None:
        raise CannotReplay(f"{path} is not a result stored by `grader batch`.")
    return stored


def _submission(stored: store.Stored, limit_bytes: int) -> Path:
    """The stored result's submission folder, whose files must be as they were (read as far as
    grading read them)."""
    recorded = stored.record.get("submission")
    regrade = f"grader batch --regrade {stored.student}"
    if not isinstance(recorded, dict):
        raise CannotReplay(
            f"{stored.student}'s {stored.exercise_id} was stored by an older grader that did not record "
            "the submission's files: "
            f"grade it again with `{regrade}` to replay it later."
        )
    folder = Path(recorded["path"])
    if not folder.is_dir():
        raise CannotReplay(f"The submission changed: its folder {folder} is gone, so it cannot be replayed.")
    if store.files_digest(folder, limit_bytes) != recorded["digest"]:
        raise CannotReplay(
            f"The submission changed: the files in {folder} are not those graded on "
            f"{stored.record.get('graded_at', '?')}, so replaying would grade other files. "
            f"`{regrade}` grades what is there now."
        )
    return folder


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
