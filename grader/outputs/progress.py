"""A batch's live progress: done/total, rate, time left and failures so far."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from grader.batch.batch import Job
from grader.model.result import Result
from grader.safe_text import for_terminal, terminal_line


class RateColumn(ProgressColumn):
    """Submissions graded per minute."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time or task.elapsed
        if not elapsed or not task.completed:
            return Text("-/min", style="cyan")
        return Text(f"{task.completed / elapsed * 60:.1f}/min", style="cyan")


class BatchProgress:
    """A progress bar over the batch, and a line per graded submission above it; piped (no
    terminal), the lines alone."""

    def __init__(self, console: Console, total: int) -> None:
        self.failed = 0
        self.progress = Progress(
            TextColumn("[bold]grading"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("elapsed,"),
            TimeRemainingColumn(),
            TextColumn("left"),
            TextColumn("{task.fields[failed]}"),
            console=console,
            disable=not console.is_terminal,  # piped: the lines and the summary, no bar
        )
        self.task = self.progress.add_task("grading", total=total, failed="")

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.progress.stop()

    def done(self, job: Job, result: Result) -> None:
        """Count one finished submission and print its line."""
        self.failed += result.status != "graded"
        failed = f"[red]{self.failed} failed[/]" if self.failed else ""
        self.progress.update(self.task, advance=1, failed=failed)
        self.progress.console.print(line(job, result), highlight=False)

    def note(self, text: str) -> None:
        """Print a line about the batch itself (the engine stopped answering, say) above the bar."""
        self.progress.console.print(f"[yellow]{escape(for_terminal(text))}[/]", highlight=False)


def line(job: Job, result: Result) -> Text:
    """One submission's outcome, for the terminal: on one line, names as plain text."""
    style = "green" if result.status == "graded" else "red"
    return Text.assemble(
        f"  {terminal_line(job.student):<10} {terminal_line(job.exercise_id):<26}",
        f" {result.score:>4g}/{result.max_score:<4g} ",
        (f"{terminal_line(result.status):<8}", style),
        f" {result.duration_s:5.1f} s",
    )
