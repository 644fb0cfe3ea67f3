"""Autograding a class's notebooks: throughput at 1 and 2 notebooks at once.

The class is made of the first notebook, solved (the source notebook handed in
as is), once per student; each run starts from a fresh copy of the course so
nothing is skipped as already autograded.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.commands import autograde
from grader.model.exercise import ROOT

COURSE = ROOT / "notebooks"
ASSIGNMENT = "01-run-flow"
CLASS_SIZE = 4
JOBS = (1, 2)
TIMEOUT_S = 300

Figures = dict[str, dict[str, float]]


def make_course(root: Path, size: int = CLASS_SIZE) -> Path:
    """A course folder under `root` with `size` students' solved ASSIGNMENT; the folder."""
    course = root / "course"
    course.mkdir()
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    for number in range(size):
        shutil.copytree(
            COURSE / "source" / ASSIGNMENT, course / "submitted" / f"student-{number:02d}" / ASSIGNMENT
        )
    return course


def autograde_class(size: int, jobs: int) -> dict[str, float]:
    """Autograde a fresh class of `size` with `jobs` notebooks at once; the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as temporary:
        course = make_course(Path(temporary), size)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # autograde's own progress and tables
            status = autograde.main(course=course, timeout_s=TIMEOUT_S, jobs=jobs)
        wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"autograde failed (exit {status}) with {jobs} jobs")
    return {"notebooks": size, "wall_s": wall, "per_minute": size / wall * 60, "per_notebook_s": wall / size}


def main(console: Console, jobs: tuple[int, ...] = JOBS, size: int = CLASS_SIZE) -> Figures:
    """Autograde the class at each number of jobs; print and return the figures."""
    figures = {str(count): autograde_class(size, count) for count in jobs}
    console.print(_table(figures, size))
    return figures


def _table(figures: Figures, size: int) -> Table:
    table = Table(title=f"grader autograde: {size} solved {ASSIGNMENT} notebooks, each in its own sandbox")
    for column in ("jobs", "wall s", "per min", "s per notebook"):
        table.add_column(column, justify="left" if column == "jobs" else "right")
    for count, row in figures.items():
        table.add_row(
            count, f"{row['wall_s']:.1f}", f"{row['per_minute']:.1f}", f"{row['per_notebook_s']:.1f}"
        )
    table.caption = "wall time includes nbgrader's gradebook, feedback and export steps"
    return table
