"""`grader batch`: grade a class's submissions in parallel, resumably, and write the gradebook."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader import batch, engine, gradebook, outputs, plan, provenance, store
from grader.assignment import AssignmentError
from grader.gradebook import Gradebook
from grader.layout import LayoutError, Submission
from grader.progress import BatchProgress
from grader.result import Result

INTERRUPTED = 130
COURSE_GRADEBOOK = "course-gradebook.csv"


@dataclass
class Tally:
    """What one batch run did."""

    total: int
    kept: int
    graded: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def summary(self, out: Path) -> str:
        took = time.monotonic() - self.started
        return (
            f"{self.graded} graded, {self.kept} unchanged and kept, {self.failed} failed (error or timeout)"
            f" of {self.total} submissions in {took:.0f} s; gradebook: {out / 'gradebook.csv'}"
        )


def main(
    *,
    submissions: Path,
    out: Path,
    assignment_file: Path | None = None,
    exercise_ids: Sequence[str] = (),
    jobs: int | None = None,
    quiet: bool = False,
    regrade: Sequence[str] = (),
    regrade_all: bool = False,
    nbgrader_course: Path | None = None,
    engine_wait_s: float = batch.ENGINE_WAIT_S,
) -> int:
    """Grade what is not graded yet, write every output; 0 when done, 2 for bad input, 130 when stopped,
    1 when the engine stopped answering for longer than `engine_wait_s`."""
    console = Console(quiet=quiet)
    try:
        chosen = plan.make(submissions, assignment_file=assignment_file, exercise_ids=exercise_ids)
        todo = plan.todo(chosen, out, regrade=regrade, regrade_all=regrade_all)
    except (plan.PlanError, AssignmentError, LayoutError) as problem:
        Console(stderr=True).print(f"[red]{escape(str(problem))}[/]")
        return 2
    tally = Tally(total=len(chosen.roster.submissions), kept=len(chosen.roster.submissions) - len(todo))
    try:
        _grade(chosen, todo, out, Options(jobs or batch.default_workers(), engine_wait_s), console, tally)
    except engine.EngineUnavailable as gone:
        Console(stderr=True).print(f"[red]{escape(str(gone))}[/]")
        _summary(f"Stopped; the results so far are saved. {tally.summary(out)}", console)
        return 1
    except KeyboardInterrupt:
        console.print(f"[yellow]Stopped.[/] The results so far are saved in {out / store.RESULTS}.")
        _summary(f"Stopped; run the same command again to grade the rest. {tally.summary(out)}", console)
        return INTERRUPTED
    book = outputs.write_all(out, chosen.assignment, chosen.roster.students)
    _show(book, out, console)
    if nbgrader_course is not None and not _course_gradebook(book, nbgrader_course, out, console):
        return 1
    _summary(tally.summary(out), console)
    return 0


@dataclass(frozen=True)
class Options:
    """How to grade: sandboxes at once, and how long to wait for an engine that stopped answering."""

    workers: int
    engine_wait_s: float


def _grade(
    chosen: plan.Plan, todo: list[Submission], out: Path, options: Options, console: Console, tally: Tally
) -> None:
    """Grade `todo` with `options.workers` sandboxes at once, saving each result as it comes."""
    if not todo:
        console.print(f"Nothing to grade: all {tally.total} results in {out} are current.")
        return
    client = engine.connect()
    versions = provenance.tools(client)
    images = provenance.base_images(client, chosen.exercises.values())
    jobs = batch.jobs_of(todo)
    sandboxes = min(options.workers, len(jobs))
    console.print(
        f"Grading {len(jobs)} submissions from {chosen.roster.root} with {sandboxes} sandboxes"
        f" at once ({tally.kept} unchanged, kept)."
    )
    with BatchProgress(console, len(jobs)) as display:

        def save(job: batch.Job, result: Result) -> None:
            exercise = chosen.exercises[job.exercise_id]
            key = chosen.keys[(job.student, job.exercise_id)]
            origin = provenance.of_exercise(exercise, versions, images)
            store.save(out, store.record(job.student, exercise, key, result, origin, job.folder))
            tally.graded += 1
            tally.failed += result.status != "graded"
            display.done(job, result)

        watch = batch.EngineWatch(wait_s=options.engine_wait_s, notify=display.note)
        batch.grade_all(jobs, workers=options.workers, on_result=save, watch=watch)


def _show(book: Gradebook, out: Path, console: Console) -> None:
    console.print(gradebook.table(book))
    for what, where in (
        ("Gradebook", f"{out / 'gradebook.csv'} (and .json)"),
        ("Report", f"{out / 'report' / 'index.html'}"),
        ("Feedback", f"{out / 'feedback'}/<student>.md and .html ({len(book.students)} students)"),
        ("JUnit", f"{out / 'junit'}/<student>.xml"),
        ("Gradescope", f"{out / 'gradescope'}/<student>/results.json"),
    ):
        console.print(f"{what + ':':<12}{where}", highlight=False)


def _course_gradebook(book: Gradebook, course: Path, out: Path, console: Console) -> bool:
    """Write OUT/course-gradebook.csv: the notebook grades of nbgrader's gradebook and these exercises."""
    from grader.nbgrade import Course, NbgraderFailed

    try:
        rows = Course(course).export(out / "nbgrader-grades.csv")
    except NbgraderFailed as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return False
    path = gradebook.write_course_csv(book, gradebook.notebook_scores(rows), out / COURSE_GRADEBOOK)
    console.print(f"{'Course:':<12}{path} (notebooks and exercises)", highlight=False)
    return True


def _summary(text: str, console: Console) -> None:
    """The one line a script reads, printed even when quiet."""
    if console.quiet:
        print(text)
    else:
        console.print(text, highlight=False)
