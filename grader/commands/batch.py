"""`grader batch`: grade a class's submissions in parallel, resumably, and write the gradebook."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader import outputs
from grader.batch import batch, defaults, gradebook, run, store
from grader.batch.gradebook import Gradebook
from grader.batch.layout import Submission
from grader.exit_codes import Exit
from grader.host.engine import EngineUnavailable
from grader.outputs.console import make as make_console
from grader.outputs.progress import BatchProgress
from grader.safe_text import for_terminal, terminal_line

INTERRUPTED = Exit.INTERRUPTED
COURSE_GRADEBOOK = "course-gradebook.csv"


def main(
    *,
    submissions: Path,
    out: Path = defaults.OUT,
    assignment_file: Path | None = None,
    exercise_ids: Sequence[str] = (),
    jobs: int | None = None,
    quiet: bool = False,
    regrade: Sequence[str] = (),
    regrade_all: bool = False,
    nbgrader_course: Path | None = None,
    engine_wait_s: float = defaults.ENGINE_WAIT_S,
    overrides_file: Path | None = None,
    roster_file: Path | None = None,
    scheduler: str | None = None,
    cert_dir: Path | None = None,
) -> int:
    """Grade what is not graded yet, write every output; 0 when done, 130 when stopped, 1 when the
    engine stopped answering for longer than `engine_wait_s`. Bad input raises an InputError."""
    console = make_console(quiet=quiet)
    planned = run.prepare(
        submissions,
        out,
        assignment_file=assignment_file,
        exercise_ids=exercise_ids,
        overrides_file=overrides_file,
        roster_file=roster_file,
        regrade=regrade,
        regrade_all=regrade_all,
    )
    tally = planned.tally
    if not planned.todo:
        console.print(
            f"Nothing to grade: all {tally.total} results in {_path(out)} are current.", markup=False
        )
    try:
        options = run.Options(jobs or batch.default_workers(), engine_wait_s, scheduler, cert_dir)
        run.grade(planned, options, Report(console, planned))
    except EngineUnavailable as gone:
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
    book = outputs.write_all(out, planned.plan.assignment, planned.plan.roster.students)
    _show(book, out, console)
    if nbgrader_course is not None and not _course_gradebook(book, nbgrader_course, out, console):
        return Exit.FAILED
    _summary(tally.summary(out), console)
    return Exit.OK


@dataclass(frozen=True)
class Report:
    """What a run does, on the console: submissions not graded, and the progress of the others."""

    console: Console
    planned: run.Run

    def refused(self, submission: Submission, problem: str) -> None:
        who = f"{terminal_line(submission.student)}'s {terminal_line(submission.exercise_id)}"
        self.console.print(Text.assemble(("Not graded:", "yellow"), f" {who}: {for_terminal(problem)}"))

    @contextmanager
    def grading(self, count: int, sandboxes: int) -> Iterator[BatchProgress]:
        self.console.print(
            f"Grading {count} submissions from {_path(self.planned.plan.roster.root)} with {sandboxes}"
            f" sandboxes at once ({self.planned.tally.kept} unchanged, kept).",
            markup=False,
        )
        with BatchProgress(self.console, count) as display:
            yield display


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
