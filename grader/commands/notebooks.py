"""`grader notebooks`: make the students' notebooks from the course's nbgrader source notebooks.

Each topic's notebook in notebooks/source/ goes through nbgrader's generate_assignment
(solutions cleared, graded cells locked) into notebooks/release/. A student's notebook
already there is kept, not overwritten, unless `force` says so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader.errors import SetupError
from grader.exit_codes import Exit
from grader.model.exercise import ROOT

COURSE = ROOT / "notebooks"


def topics(course: Path = COURSE) -> list[str]:
    """The course's assignments (one per topic), in the order of the course."""
    return sorted(folder.name for folder in (course / "source").iterdir() if folder.is_dir())


def release(topic: str, *, course: Path = COURSE, force: bool = False) -> str:
    """Generate the student version of `topic`; say what happened in a few words."""
    if (course / "release" / topic).exists() and not force:
        return "kept (already there; --force regenerates it and loses the student's work)"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", topic, "--force", "--no-db", "--quiet"],
        cwd=course,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SetupError(f"nbgrader could not generate {topic}:\n{done.stderr[-2000:]}")
    return "generated"


def main(*, force: bool = False, course: Path = COURSE) -> int:
    console = Console()
    try:
        for topic in topics(course):
            console.print(f"{topic}: {release(topic, course=course, force=force)}")
    except SetupError as failed:
        Console(stderr=True).print(Text(str(failed), style="red"))
        return Exit.FAILED
    console.print(f"The students' notebooks are in {course / 'release'}.")
    return Exit.OK
