"""`grader autograde`: nbgrader's round trip for a course folder, every notebook run in a sandbox.

For each assignment of source/ with submissions (or those named): record the
source's cells in nbgrader's gradebook, autograde each student's submission
(locked and graded cells restored from the source, the notebook executed in a
sandbox within its time limit, scored by nbgrader), write feedback, then export
every grade to a CSV and show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import docker.errors
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.batch import gradebook
from grader.batch.batch import default_workers
from grader.commands import did_you_mean
from grader.commands.images import offline
from grader.course.nbgrade import TIMEOUT_S, Course, NbgraderFailed
from grader.course.notebook_sandbox import COURSE_IMAGES
from grader.exit_codes import Exit
from grader.host import baseimages, engine
from grader.host.baseimages import notebook_kernel, sandbox_engine
from grader.outputs.console import make as make_console
from grader.safe_text import for_terminal, terminal_line

GRADES = "grades.csv"


def main(
    *,
    course: Path,
    assignments: Sequence[str] = (),
    students: Sequence[str] = (),
    timeout_s: float = TIMEOUT_S,
    regrade: Sequence[str] = (),
    regrade_all: bool = False,
    grades: Path | None = None,
    jobs: int | None = None,
) -> int:
    """Autograde (`jobs` submissions at once, by default as many as `grader batch` grades), give
    feedback, export; 0 when every step worked, 1 otherwise, 2 for a student to regrade who has no
    submission, 130 when stopped. A submission already autograded is kept unless its student is in
    `regrade` or `regrade_all`."""
    console, errors = make_console(), make_console(stderr=True)
    folder = Course(course)
    names = list(assignments or folder.assignments())
    submitted = {student for name in names for student in folder.students(name)}
    if unknown := sorted(set(regrade) - submitted):
        message = f"No submission to regrade from {', '.join(unknown)} in {course}."
        errors.print(Text(for_terminal(message + did_you_mean(unknown[0], submitted)), style="red"))
        return Exit.USAGE
    try:
        _prepare_images(console)
    except (baseimages.PrepareFailed, engine.EngineUnavailable, docker.errors.DockerException) as error:
        errors.print(_error(error))
        return Exit.FAILED
    again = Again(students=frozenset(regrade), everyone=regrade_all)
    try:
        failures = sum(
            _assignment(folder, name, students, timeout_s, again, jobs or default_workers(), console)
            for name in names
        )
    except KeyboardInterrupt:
        console.print(
            "[yellow]Stopped.[/] The submissions autograded so far are kept; run the same command "
            "again to autograde the rest (those already done are skipped unless --regrade-all)."
        )
        return Exit.INTERRUPTED
    try:
        rows = folder.export(grades or course / GRADES)
    except NbgraderFailed as error:
        errors.print(_error(error))
        return Exit.FAILED
    console.print(_table(rows))
    console.print(
        f"Grades: {grades or course / GRADES}; feedback: {course / 'feedback'}/<student>/<assignment>/",
        markup=False,
    )
    return Exit.FAILED if failures else Exit.OK


@dataclass(frozen=True)
class Again:
    """Whose submissions are autograded again even if already autograded."""

    students: frozenset[str] = frozenset()
    everyone: bool = False

    def __contains__(self, student: object) -> bool:
        return self.everyone or student in self.students


def _prepare_images(console: Console) -> None:
    """The sandbox engine, the kernel image and the course's images, built if missing."""
    names = [sandbox_engine.NAME, notebook_kernel.image_tag(), *COURSE_IMAGES]
    with console.status("Preparing the sandbox and kernel images..."):
        baseimages.prepare(engine.connect(), names, pull=not offline())


def _assignment(
    folder: Course,
    name: str,
    students: Sequence[str],
    timeout_s: float,
    again: Again,
    jobs: int,
    console: Console,
) -> int:
    """Autograde one assignment's submissions, `jobs` at once, and write their feedback; how many
    steps failed."""
    with console.status(Text(f"{terminal_line(name)}: recording the source in the gradebook...")):
        failures = _attempt(f"{name}: gradebook", partial(folder.generate, name), console)
    who = list(students or folder.students(name))

    def grade(student: str) -> int:
        step = partial(folder.autograde, name, student, timeout_s=timeout_s, force=student in again)
        return _attempt(f"{name}: {student}", step, console)

    with console.status(
        Text(f"{terminal_line(name)}: autograding {len(who)} submissions, {jobs} at a time...")
    ):
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            failures += sum(pool.map(grade, who))
        except BaseException:
            folder.children.stop()  # the nbgrader processes remove their sandboxes
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    with console.status(Text(f"{terminal_line(name)}: feedback...")):
        return failures + _attempt(f"{name}: feedback", partial(folder.feedback, name), console)


def _attempt(what: str, step: Callable[[], None], console: Console) -> int:
    """Do one nbgrader step and say how it went; 1 if it failed, else 0."""
    try:
        step()
    except NbgraderFailed as error:
        console.print(
            Text.assemble(f"{terminal_line(what)}: ", ("failed", "red"), "\n", for_terminal(str(error)))
        )
        return 1
    console.print(Text(f"{terminal_line(what)}: done"))
    return 0


def _error(error: Exception) -> Text:
    """An error's message in red, as text (nbgrader's output may quote a student's notebook)."""
    return Text(for_terminal(str(error)), style="red")


def _table(rows: list[dict[str, str]]) -> Table:
    """nbgrader's grades: a row per student, a column per assignment."""
    scores = gradebook.notebook_scores(rows)
    assignments = sorted({a for by_student in scores.values() for a in by_student})
    grid = Table(title="Notebook grades")
    grid.add_column("Student", style="bold")
    for assignment in assignments:
        grid.add_column(Text(terminal_line(assignment)), justify="right")
    for student, by_assignment in scores.items():
        cells = [by_assignment.get(a) for a in assignments]
        grid.add_row(Text(terminal_line(student)), *(f"{c[0]:g}/{c[1]:g}" if c else "-" for c in cells))
    return grid
