"""`grader lab`: JupyterLab on the students' notebooks, on the engine chosen for the course
(grader.course.lab): the student's own when it is current, else a course engine of its own."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader.commands.notebooks import COURSE
from grader.course.lab import Engine, lab


def main(*, engine: Engine = "auto", folder: Path | None = None, jupyter_args: tuple[str, ...] = ()) -> int:
    """Serve `folder` (notebooks/release unless given) in JupyterLab until it stops (Ctrl-C);
    JupyterLab's exit code."""
    console = Console()

    def say(said: str) -> None:
        console.print(Text(said))

    return lab(folder or COURSE / "release", engine, say, jupyter_args)
