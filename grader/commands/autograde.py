"""`grader autograde`: nbgrader's round trip for a course folder, every notebook run in a sandbox.

For each assignment of source/ with submissions (or those named): record the
source's cells in nbgrader's gradebook, autograde each student's submission
(locked and graded cells restored from the source, the notebook executed in a
sandbox within its time limit, scored by nbgrader), write feedback, then export
every grade to a CSV and show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import docker.errors
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import baseimages, engine, gradebook
from grader.baseimages import notebook_kernel, sandbox_engine
from grader.commands.images import offline
from grader.nbgrade import TIMEOUT_S, Course, NbgraderFailed
from grader.notebook_sandbox import COURSE_IMAGES

GRADES = "grades.csv"


def main(
    *,
    course: Path,
    assignments: Sequence[str] = (),
    students: Sequence[str] = (),
    timeout_s: float = TIMEOUT_S,
    force: bool = False,
    grades: Path | None = None,
) -> int:
    """Autograde, give feedback, export; 0 when every step worked, 1 otherwise."""
    console = Console()
    folder = Course(course)
    try:
        _prepare_images(console)
    except (baseimages.PrepareFailed, engine.EngineUnavailable, docker.errors.DockerException) as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return 1
    failures = sum(
        _assignment(folder, name, students, timeout_s, force, console)
        for name in assignments or folder.assignments()
    )
    try:
        rows = folder.export(grades or course / GRADES)
    except NbgraderFailed as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return 1
    console.print(_table(rows))
    console.print(
        f"Grades: {grades or course / GRADES}; feedback: {course / 'feedback'}/<student>/<assignment>/"
    )
    return 1 if failures else 0


def _prepare_images(console: Console) -> None:
    """The sandbox engine, the kernel image and the course's images, built if missing."""
    names = [sandbox_engine.NAME, notebook_kernel.NAME, *COURSE_IMAGES]
    with console.status("Preparing the sandbox and kernel images..."):
        baseimages.prepare(engine.connect(), names, pull=not offline())


def _assignment(
    folder: Course, name: str, students: Sequence[str], timeout_s: float, force: bool, console: Console
) -> int:
    """Autograde one assignment's submissions and write their feedback; how many steps failed."""
    failures = 0
    steps: list[tuple[str, Callable[[], None]]] = [(f"{name}: gradebook", lambda: folder.generate(name))]
    steps += [
        (f"{name}: {student}", partial(folder.autograde, name, student, timeout_s=timeout_s, force=force))
        for student in students or folder.students(name)
    ]
    steps.append((f"{name}: feedback", lambda: folder.feedback(name)))
    for what, step in steps:
        with console.status(f"{what}..."):
            try:
                step()
            except NbgraderFailed as error:
                failures += 1
                console.print(f"{escape(what)}: [red]failed[/]\n{escape(str(error))}")
                continue
        console.print(f"{escape(what)}: done")
    return failures


def _table(rows: list[dict[str, str]]) -> Table:
    """nbgrader's grades: a row per student, a column per assignment."""
    scores = gradebook.notebook_scores(rows)
    assignments = sorted({a for by_student in scores.values() for a in by_student})
    grid = Table(title="Notebook grades")
    grid.add_column("Student", style="bold")
    for assignment in assignments:
        grid.add_column(escape(assignment), justify="right")
    for student, by_assignment in scores.items():
        cells = [by_assignment.get(a) for a in assignments]
        grid.add_row(escape(student), *(f"{c[0]:g}/{c[1]:g}" if c else "-" for c in cells))
    return grid
