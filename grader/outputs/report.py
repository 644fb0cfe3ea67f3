"""A result as a student reads it in a terminal: a table, the commands to try, advice and the log.

Every text from a result is a rich `Text` (never markup, never emoji codes) made
of `for_terminal` text, so no escape sequence a build printed reaches the terminal.
Piped or redirected (the console is no terminal), the same report is plain lines:
no box, no colour, nothing wrapped or cut, each command to try whole on its line.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.batch.gradebook import percent, plain_lines
from grader.model import failure
from grader.model.result import CheckResult, Result
from grader.outputs.feedback import HIDDEN
from grader.safe_text import for_terminal, terminal_line
from grader.text import last_lines

LOG_LINES = 10
INDENT = "    "


class Report:
    """One result for a console: a rich table on a terminal; piped, plain lines (`plain`)."""

    def __init__(self, result: Result) -> None:
        self.result = result.for_student()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.is_terminal:
            yield _rich(self.result)
        else:
            yield from plain_lines(plain(self.result))


def render(result: Result) -> Report:
    """The whole report for one result."""
    return Report(result)


def show(result: Result, console: Console | None = None) -> None:
    (console or Console()).print(render(result))


def _rich(result: Result) -> Group:
    """The report for a terminal: headline, table, the commands to try, then panels."""
    parts: list[RenderableType] = [_headline(result)]
    if result.failure is not None:
        block = Text("\n").join(_failure_lines(result))
        parts.append(Panel(block, title="What went wrong", border_style="red"))
    parts.append(_table(result.checks))
    tries = [_try(check) for check in result.checks if check.reproduce and _failed(check)]
    if tries:
        parts.append(Text("\n").join(tries))
    if result.reason and result.failure is None:
        parts.append(Panel(_plain(result.reason), title="What went wrong", border_style="yellow"))
    if result.log and result.failed and result.failure is None:
        parts.append(Panel(_plain(last_lines(result.log, LOG_LINES)), title="The last lines it printed"))
    if result.advice:
        parts.append(
            Panel(
                Text("\n").join(Text(f"• {terminal_line(a)}") for a in result.advice),
                title="Advice (no points lost)",
                border_style="blue",
            )
        )
    return Group(*parts)


def plain(result: Result) -> list[str]:
    """The report as plain lines (for a pipe, a file, a CI log): no box, no colour, nothing cut."""
    lines = [_headline(result).plain, ""]
    if result.failure is not None:
        block = [f"{INDENT}{line.plain}".rstrip() for line in _failure_lines(result)]
        lines += ["What went wrong:", *block, ""]
    for check in result.checks:
        lines += _plain_check(check)
    if result.reason and result.failure is None:
        lines += ["", "What went wrong:", *_indented(result.reason)]
    if result.log and result.failed and result.failure is None:
        lines += ["", "The last lines it printed:", *_indented(last_lines(result.log, LOG_LINES))]
    if result.advice:
        lines += ["", "Advice (no points lost):", *(f"{INDENT}• {terminal_line(a)}" for a in result.advice)]
    return lines


def _plain_check(check: CheckResult) -> list[str]:
    """A check as plain lines: its mark, name and points; what was expected and found, a hint, a command."""
    mark = "✓" if check.passed else "-" if check.not_run else "✗"
    lines = [f"{mark} {terminal_line(check.name.replace('_', ' '))}  {check.points:g}/{check.max_points:g}"]
    if check.not_run:
        return [*lines, *_indented(f"not run: {check.found}")]
    if check.passed:
        return [*lines, *_indented(check.expected)]
    lines += _indented(f"Expected: {check.expected}")
    if check.hidden:
        return [*lines, f"{INDENT}{HIDDEN}"]
    lines += _indented(f"Found: {check.found or 'something else'}")
    lines += _indented(f"Hint: {check.hint}") if check.hint else []
    lines += [f"{INDENT}Try: {terminal_line(check.reproduce)}"] if check.reproduce else []
    return lines


def _indented(text: str) -> list[str]:
    """`text` made safe for a terminal, each of its lines indented."""
    return [f"{INDENT}{line}".rstrip() for line in for_terminal(text).strip("\n").split("\n")]


def _plain(text: str) -> Text:
    """Text shown as it is: no markup, no escape sequence."""
    return Text(for_terminal(text))


def _headline(result: Result) -> Text:
    full = result.status == "graded" and result.score == result.max_score > 0
    colour = "green" if full else "yellow" if result.score else "red"
    points = f"{result.score:g}/{result.max_score:g} points"
    if result.max_score:
        points += f" ({percent(result.score, result.max_score):g}%)"
    return Text.assemble(
        (terminal_line(result.exercise), "bold"),
        f"  {terminal_line(result.status)}  ",
        (points, f"bold {colour}"),
        f"  ({result.duration_s:.1f} s)",
    )


def _table(checks: list[CheckResult]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("What we found", ratio=3)
    table.add_column("Hint", ratio=2)
    for check in checks:
        mark = ("✓", "green") if check.passed else ("-", "yellow") if check.not_run else ("✗", "red")
        table.add_row(
            Text.assemble(mark, " ", terminal_line(check.name.replace("_", " "))),
            f"{check.points:g}/{check.max_points:g}",
            _found(check),
            Text("") if check.passed or check.not_run else _plain(check.hint),
        )
    return table


def _found(check: CheckResult) -> Text:
    if check.passed:
        return _plain(check.expected)
    if check.not_run:
        return Text.assemble(("not run", "bold yellow"), ": ", for_terminal(check.found))
    expected = ("Expected: ", "bold"), for_terminal(check.expected)
    if check.hidden:
        return Text.assemble(*expected, "\n", (HIDDEN, "dim"))
    found = check.found or "something else"
    return Text.assemble(*expected, "\n", ("Found: ", "bold"), for_terminal(found))


def _failed(check: CheckResult) -> bool:
    """Whether a check ran and failed (not one that passed, nor one that could not run)."""
    return not check.passed and not check.not_run


def _failure_lines(result: Result) -> list[Text]:
    """The failure block (grader.model.failure.block) as terminal lines: words, then output indented."""
    lines: list[Text] = []
    for kind, text in failure.block(result):
        if kind == "block":
            lines += [Text(f"  {line}".rstrip()) for line in for_terminal(text).strip("\n").split("\n")]
        else:
            lines.append(Text(terminal_line(text)))
    return lines


def _try(check: CheckResult) -> Text:
    """A failed check's command, below the table on a line of its own so that it is never cut in a cell."""
    return Text.assemble(
        ("✗ ", "red"),
        terminal_line(check.name.replace("_", " ")),
        ("  Try: ", "dim"),
        (terminal_line(check.reproduce), "cyan"),
    )
