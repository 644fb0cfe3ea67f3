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

from grader.batch import Job
from grader.result import Result


class RateColumn(ProgressColumn):
    """Submissions graded per minute."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time or task.elapsed
        if not elapsed or not task.completed:
            return Text("-/min", style="cyan")
        return Text(f"{task.completed / elapsed * 60:.1f}/min", style="cyan")


class BatchProgress:
    """A progress bar over the batch, and a line per graded submission above it."""

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
        self.progress.console.print(f"[yellow]{escape(text)}[/]", highlight=False)


def line(job: Job, result: Result) -> str:
    """One submission's outcome, for the terminal."""
    style = "green" if result.status == "graded" else "red"
    return (
        f"  {escape(job.student):<10} {escape(job.exercise_id):<26} {result.score:>4g}/{result.max_score:<4g}"
        f" [{style}]{result.status:<8}[/] {result.duration_s:5.1f} s"
    )
