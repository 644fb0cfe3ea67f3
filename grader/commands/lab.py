"""`grader lab`: JupyterLab on the students' notebooks, on the engine chosen for the course
(grader.course.lab): the student's own when it is current, else a course engine of its own."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from grader.commands.notebooks import COURSE
from grader.course.lab import Engine, lab


def main(*, engine: Engine = "auto") -> int:
    """Serve notebooks/release in JupyterLab until it stops (Ctrl-C); JupyterLab's exit code."""
    console = Console()
    return lab(COURSE / "release", engine, lambda said: console.print(Text(said)))
