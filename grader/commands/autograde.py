"""`grader autograde`: nbgrader's round trip for a course folder, every notebook run in a sandbox.

For each assignment of source/ with submissions (or those named): record the
source's cells in nbgrader's gradebook, autograde each student's submission
(locked and graded cells restored from the source, the notebook executed in a
sandbox within its time limit, scored by nbgrader), write feedback, then export
every grade to a CSV and show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.status import Status
from rich.table import Table
from rich.text import Text

from grader.batch import gradebook
from grader.batch.batch import default_workers
from grader.commands import did_you_mean
from grader.course import autograde as autograding
from grader.course.nbgrade import TIMEOUT_S, Course, NbgraderFailed
from grader.exit_codes import Exit
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
    with console.status("Preparing the sandbox and kernel images..."):
        autograding.prepare_images()
    again = autograding.Again(students=frozenset(regrade), everyone=regrade_all)
    try:
        failures = autograding.assignments(
            folder,
            names,
            students=students,
            timeout_s=timeout_s,
            again=again,
            jobs=jobs or default_workers(),
            steps=Steps(console),
        )
    except KeyboardInterrupt:
        console.print(
            "[yellow]Stopped.[/] The submissions autograded so far are kept; run the same command "
            "again to autograde the rest (those already done are skipped unless --regrade-all)."
        )
        return Exit.INTERRUPTED
    rows = folder.export(grades or course / GRADES)
    console.print(_table(rows))
    console.print(
        f"Grades: {grades or course / GRADES}; feedback: {course / 'feedback'}/<student>/<assignment>/",
        markup=False,
    )
    return Exit.FAILED if failures else Exit.OK


@dataclass(frozen=True)
class Steps:
    """How autograding goes, on the console."""

    console: Console

    def stage(self, what: str) -> Status:
        return self.console.status(Text(terminal_line(what)))

    def step(self, what: str, failure: NbgraderFailed | None) -> None:
        if failure is None:
            self.console.print(Text(f"{terminal_line(what)}: done"))
            return
        self.console.print(
            Text.assemble(f"{terminal_line(what)}: ", ("failed", "red"), "\n", for_terminal(str(failure)))
        )


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
