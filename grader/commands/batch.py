"""`grader batch`: grade a class's submissions in parallel, resumably, and write the gradebook."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from grader import __version__, outputs
from grader.batch import batch, gradebook, plan, provenance, store
from grader.batch.assignment import AssignmentError
from grader.batch.gradebook import Gradebook
from grader.batch.layout import LayoutError, Submission
from grader.exit_codes import Exit
from grader.host import engine
from grader.model.result import Result
from grader.outputs.console import make as make_console
from grader.outputs.progress import BatchProgress
from grader.safe_text import for_terminal, terminal_line

INTERRUPTED = Exit.INTERRUPTED
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
    overrides_file: Path | None = None,
    roster_file: Path | None = None,
    scheduler: str | None = None,
    cert_dir: Path | None = None,
) -> int:
    """Grade what is not graded yet, write every output; 0 when done, 2 for bad input, 130 when stopped,
    1 when the engine stopped answering for longer than `engine_wait_s`."""
    console = make_console(quiet=quiet)
    try:
        chosen = plan.make(
            submissions,
            assignment_file=assignment_file,
            exercise_ids=exercise_ids,
            overrides_file=overrides_file,
            roster_file=roster_file,
        )
        todo = plan.todo(chosen, out, regrade=regrade, regrade_all=regrade_all)
    except (plan.PlanError, AssignmentError, LayoutError) as problem:
        Console(stderr=True).print(_error(problem))
        return Exit.USAGE
    tally = Tally(total=len(chosen.roster.submissions), kept=len(chosen.roster.submissions) - len(todo))
    try:
        options = Options(jobs or batch.default_workers(), engine_wait_s, scheduler, cert_dir)
        _grade(chosen, todo, out, options, console, tally)
    except engine.EngineUnavailable as gone:
        Console(stderr=True).print(_error(gone))
        _summary(f"Stopped; the results so far are saved. {tally.summary(out)}", console)
        return Exit.FAILED
    except KeyboardInterrupt:
        console.print(
            Text.assemble(
                ("Stopped.", "yellow"), f" The results so far are saved in {_path(out / store.RESULTS)}."
            )
        )
        _summary(f"Stopped; run the same command again to grade the rest. {tally.summary(out)}", console)
        return INTERRUPTED
    book = outputs.write_all(out, chosen.assignment, chosen.roster.students)
    _show(book, out, console)
    if nbgrader_course is not None and not _course_gradebook(book, nbgrader_course, out, console):
        return Exit.FAILED
    _summary(tally.summary(out), console)
    return Exit.OK


@dataclass(frozen=True)
class Options:
    """How to grade: sandboxes at once, and how long to wait for an engine that stopped answering."""

    workers: int
    engine_wait_s: float
    scheduler: str | None = None  # a Dask cluster's address, to grade there
    cert_dir: Path | None = None  # its TLS keys (`grader cluster certs`)


def _grade(
    chosen: plan.Plan, todo: list[Submission], out: Path, options: Options, console: Console, tally: Tally
) -> None:
    """Grade `todo` with `options.workers` sandboxes at once, saving each result as it comes; the
    submissions planning found ungradable get their error result at once, without a sandbox."""
    if not todo:
        console.print(
            f"Nothing to grade: all {tally.total} results in {_path(out)} are current.", markup=False
        )
        return
    _refuse([s for s in todo if chosen.problem(s)], chosen, out, console, tally)
    todo = [s for s in todo if not chosen.problem(s)]
    if not todo:
        return
    client = engine.connect()
    versions = provenance.tools(client)
    images = provenance.base_images(client, chosen.exercises.values())
    jobs = batch.jobs_of(todo)
    sandboxes = min(options.workers, len(jobs))
    console.print(
        f"Grading {len(jobs)} submissions from {_path(chosen.roster.root)} with {sandboxes} sandboxes"
        f" at once ({tally.kept} unchanged, kept).",
        markup=False,
    )
    with BatchProgress(console, len(jobs)) as display:

        def save(job: batch.Job, result: Result) -> None:
            here = provenance.of_exercise(chosen.exercises[job.exercise_id], versions, images)
            origin = {**here, **job.origin}  # a cluster's worker: its machine, tools and images
            _save(chosen, Submission(job.student, job.exercise_id, job.folder), result, origin, out, tally)
            display.done(job, result)

        watch = batch.EngineWatch(wait_s=options.engine_wait_s, notify=display.note)
        batch.grade_all(
            jobs,
            workers=options.workers,
            on_result=save,
            watch=watch,
            scheduler=options.scheduler,
            certs=options.cert_dir,
        )


def _refuse(refused: list[Submission], chosen: plan.Plan, out: Path, console: Console, tally: Tally) -> None:
    """Save an error result, saying what is wrong, for each submission that cannot be graded."""
    for submission in refused:
        problem = chosen.problem(submission)
        result = batch.error(submission.exercise_id, submission.folder, problem)
        origin = provenance.of_exercise(chosen.exercises[submission.exercise_id], {"grader": __version__}, {})
        _save(chosen, submission, result, origin, out, tally)
        who = f"{terminal_line(submission.student)}'s {terminal_line(submission.exercise_id)}"
        console.print(Text.assemble(("Not graded:", "yellow"), f" {who}: {for_terminal(problem)}"))


def _save(
    chosen: plan.Plan, submission: Submission, result: Result, origin: dict[str, Any], out: Path, tally: Tally
) -> None:
    exercise = chosen.exercises[submission.exercise_id]
    key = chosen.key(submission)
    store.save(out, store.record(submission.student, exercise, key, result, origin, submission.folder))
    tally.graded += 1
    tally.failed += result.status != "graded"


def _show(book: Gradebook, out: Path, console: Console) -> None:
    console.print(gradebook.table(book))
    for what, where in (
        ("Gradebook", f"{out / 'gradebook.csv'} (and .json)"),
        ("Report", f"{out / 'report' / 'index.html'}"),
        ("Feedback", f"{out / 'feedback'}/<student>.md and .html ({len(book.students)} students)"),
        ("JUnit", f"{out / 'junit'}/<student>.xml"),
        ("Gradescope", f"{out / 'gradescope'}/<student>/results.json"),
    ):
        console.print(f"{what + ':':<12}{for_terminal(where)}", highlight=False, markup=False)


def _course_gradebook(book: Gradebook, course: Path, out: Path, console: Console) -> bool:
    """Write OUT/course-gradebook.csv: the notebook grades of nbgrader's gradebook and these exercises."""
    from grader.course.nbgrade import Course, NbgraderFailed

    try:
        rows = Course(course).export(out / "nbgrader-grades.csv")
    except NbgraderFailed as error:
        Console(stderr=True).print(_error(error))
        return False
    path = gradebook.write_course_csv(book, gradebook.notebook_scores(rows), out / COURSE_GRADEBOOK)
    console.print(f"{'Course:':<12}{_path(path)} (notebooks and exercises)", highlight=False, markup=False)
    return True


def _summary(text: str, console: Console) -> None:
    """The one line a script reads, printed even when quiet."""
    text = for_terminal(text)
    if console.quiet:
        print(text)
    else:
        console.print(text, highlight=False, markup=False)


def _error(error: Exception) -> Text:
    """An error's message in red, as text: it may name student folders."""
    return Text(for_terminal(str(error)), style="red")


def _path(path: Path) -> str:
    """A path for the terminal (the folders it names may be students')."""
    return for_terminal(str(path))
