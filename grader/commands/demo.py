"""`grader demo`: grade the bundled sample class, with progress and a gradebook."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grader import batch, engine, feedback, gradebook
from grader.exercise import ROOT
from grader.result import Result

SAMPLE_CLASS = ROOT / "demo" / "submitted"


def main(*, jobs: int | None, out: Path, submissions: Path = SAMPLE_CLASS) -> int:
    """Grade every submission under `submissions` and write the gradebook into `out`."""
    console = Console()
    engine.connect()
    work = batch.discover(submissions)
    workers = jobs or batch.default_workers()
    console.print(f"Grading {len(work)} submissions from {submissions} with {workers} sandboxes at once.")
    started = time.monotonic()
    with _progress(console) as progress:
        task = progress.add_task("grading", total=len(work))

        def on_result(job: batch.Job, result: Result) -> None:
            progress.advance(task)
            progress.console.print(
                f"  {job.student:<8} {job.exercise_id:<26} {result.score:>4g}/{result.max_score:<4g}"
                f" {result.status:<8} {result.duration_s:5.1f} s"
            )

        done = batch.grade_all(work, workers=workers, on_result=on_result)
    graded = [(job.student, result) for job, result in done]
    console.print(gradebook.table(graded))
    _write(graded, out, console)
    console.print(f"Graded {len(done)} submissions in {time.monotonic() - started:.0f} s.")
    return 0


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _write(graded: list[tuple[str, Result]], out: Path, console: Console) -> None:
    csv_path = gradebook.write_csv(graded, out / "gradebook.csv")
    per_student: dict[str, list[Result]] = defaultdict(list)
    for student, result in graded:
        per_student[student].append(result)
    for student, results in per_student.items():
        feedback.write(student, results, out / "feedback")
    console.print(f"Gradebook: {csv_path}")
    console.print(f"Feedback:  {out / 'feedback'}/<student>.md ({len(per_student)} files)")
