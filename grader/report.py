"""A result as a student reads it in a terminal: a table, then advice and the log."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.feedback import HIDDEN
from grader.result import CheckResult, Result
from grader.text import last_lines

LOG_LINES = 10


def render(result: Result) -> Group:
    """The whole report for one result."""
    result = result.for_student()
    parts: list[object] = [_headline(result), _table(result.checks)]
    if result.reason:
        parts.append(Panel(escape(result.reason), title="What went wrong", border_style="yellow"))
    if result.log and result.failed:
        parts.append(Panel(escape(last_lines(result.log, LOG_LINES)), title="The last lines it printed"))
    if result.advice:
        parts.append(
            Panel(
                "\n".join(f"• {escape(a)}" for a in result.advice),
                title="Advice (no points lost)",
                border_style="blue",
            )
        )
    return Group(*parts)  # type: ignore[arg-type]


def show(result: Result, console: Console | None = None) -> None:
    (console or Console()).print(render(result))


def _headline(result: Result) -> Text:
    full = result.status == "graded" and result.score == result.max_score > 0
    colour = "green" if full else "yellow" if result.score else "red"
    text = Text.assemble(
        (f"{result.exercise}", "bold"),
        f"  {result.status}  ",
        (f"{result.score:g}/{result.max_score:g} points", f"bold {colour}"),
        f"  ({result.duration_s:.1f} s)",
    )
    return text


def _table(checks: list[CheckResult]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("What we found", ratio=3)
    table.add_column("Hint", ratio=2)
    for check in checks:
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        table.add_row(
            f"{mark} {escape(check.name.replace('_', ' '))}",
            f"{check.points:g}/{check.max_points:g}",
            _found(check),
            "" if check.passed else _hint(check),
        )
    return table


def _found(check: CheckResult) -> str:
    if check.passed:
        return escape(check.expected)
    if check.hidden:
        return f"[bold]Expected:[/] {escape(check.expected)}\n[dim]{escape(HIDDEN)}[/]"
    found = check.found or "something else"
    return f"[bold]Expected:[/] {escape(check.expected)}\n[bold]Found:[/] {escape(found)}"


def _hint(check: CheckResult) -> str:
    text = escape(check.hint)
    if check.reproduce:
        text += f"\n[dim]Try:[/] [cyan]{escape(check.reproduce)}[/]"
    return text
