"""`grader replay`: grade a stored result's submission again and compare old and new scores."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import engine, provenance, store
from grader import exercise as exercises
from grader.grade import grade
from grader.result import CheckResult, Result

REPRODUCED, DIFFERS, CANNOT = 0, 1, 2


class CannotReplay(Exception):
    """The stored result cannot be graded again as it was; the message says why."""


def main(*, result_json: Path) -> int:
    """Grade again and compare; 0 when every check scores as recorded, 1 when not, 2 when it cannot."""
    console = Console()
    try:
        stored, folder = _submission(result_json)
        exercise = exercises.load(stored.exercise_id)
    except (CannotReplay, exercises.UnknownExercise) as refused:
        console.print(f"[red]{escape(str(refused))}[/]")
        return CANNOT
    client = engine.connect()
    for difference in provenance.differences(stored.record, provenance.now(client, exercise)):
        console.print(f"[yellow]Warning:[/] {escape(difference)}", highlight=False)
    with console.status(f"Grading {folder} against {exercise.id} again in a fresh sandbox..."):
        result = grade(exercise, folder, host=client)
    return _compare(stored.result, result, console)


def _submission(path: Path) -> tuple[store.Stored, Path]:
    """The stored result in `path` and its submission folder, whose files must be as they were."""
    stored = store.load(path)
    if stored is None:
        raise CannotReplay(f"{path} is not a result stored by `grader batch`.")
    recorded = stored.record.get("submission")
    regrade = f"grader batch --regrade {stored.student}"
    if not isinstance(recorded, dict):
        raise CannotReplay(
            f"{path} was stored by an older grader that did not record the submission's files: "
            f"grade it again with `{regrade}` to replay it later."
        )
    folder = Path(recorded["path"])
    if not folder.is_dir():
        raise CannotReplay(f"The submission changed: its folder {folder} is gone, so it cannot be replayed.")
    if store.files_digest(folder) != recorded["digest"]:
        raise CannotReplay(
            f"The submission changed: the files in {folder} are not those graded on "
            f"{stored.record.get('graded_at', '?')}, so replaying would grade other files. "
            f"`{regrade}` grades what is there now."
        )
    return stored, folder


def _compare(old: Result, new: Result, console: Console) -> int:
    """Print old and new points per check, and whether the grade is reproduced."""
    console.print(_table(old, new))
    if old.image_id or new.image_id:
        console.print(
            f"Built image: {old.image_id or '-'} then, {new.image_id or '-'} now "
            "(an image's ID includes when it was built, so it differs from build to build).",
            highlight=False,
        )
    if new.status != "graded":
        console.print(f"Now {new.status}: {escape(new.reason)}", highlight=False)
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
        table.add_row(name, then, now, "" if then == now else "[red]differs[/]")
    table.add_row("status", old.status, new.status, "" if old.status == new.status else "[red]differs[/]")
    table.add_row("total", f"{old.score:g}/{old.max_score:g}", f"{new.score:g}/{new.max_score:g}", "")
    return table


def _by_name(result: Result) -> dict[str, CheckResult]:
    return {check.name: check for check in result.checks}


def _points_of(check: CheckResult | None) -> str:
    return "-" if check is None else f"{check.points:g}/{check.max_points:g}"


def _points(result: Result) -> dict[str, str]:
    return {name: _points_of(check) for name, check in _by_name(result).items()}
