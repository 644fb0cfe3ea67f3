"""nbgrader's round trip for a course folder, with every notebook executed in a sandbox.

    generate_assignment (the gradebook learns the source's cells)
    -> autograde each submission: nbgrader restores the locked and graded cells from
       the source, SandboxExecute runs the notebook in a sandbox and, on the host, scores
       its check cells against the sandbox's engine (grader.course.notebook_score), nbgrader
       records those scores and scores its other cells
    -> generate_feedback -> export (grades.csv)

nbgrader itself runs on the host and only reads and writes notebooks; the
students' code runs in the kernel container of grader.course.notebook_sandbox.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Float, List, Unicode

from grader.batch import defaults
from grader.course import notebook_sandbox, notebook_score
from grader.course.children import Children, python_module
from grader.errors import SetupError
from grader.host import engine

TIMEOUT_S = defaults.NOTEBOOK_TIMEOUT_S  # one notebook, all its cells


class NbgraderFailed(SetupError, RuntimeError):
    """An nbgrader step failed; the message ends with its log."""


class SandboxExecute(NbGraderPreprocessor):
    """nbgrader's Execute step, done in a sandbox: the notebook's kernel never runs on the host, and
    its check cells are scored by the host, from the gradebook's source of those cells."""

    timeout_s = Float(
        TIMEOUT_S, help="Seconds a whole notebook may run (the grader's scoring of check cells not counted)."
    ).tag(config=True)
    images = List(
        Unicode(), list(notebook_sandbox.COURSE_IMAGES), help="Base images loaded into the sandbox."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        folder, ids = Path(resources["metadata"]["path"]), resources["nbgrader"]
        checks = notebook_score.check_cells(ids["db_url"], ids["notebook"], ids["assignment"])
        executed = notebook_sandbox.execute(
            nb,
            folder,
            name=f"{resources['unique_key']}.ipynb",
            host=engine.connect(start=False, install=False),
            timeout_s=self.timeout_s,
            images=tuple(self.images),
            checks=tuple(checks),
        )
        return executed, resources


def autograde_preprocessors() -> list[str]:
    """nbgrader's autograde steps, with SandboxExecute in place of Execute."""
    steps = Autograde.autograde_preprocessors.default()
    swapped = [SandboxExecute if step is Execute else step for step in steps]
    return [f"{step.__module__}.{step.__qualname__}" for step in swapped]


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder: nbgrader_config.py, source/, submitted/ and what nbgrader makes."""

    root: Path
    children: Children = field(default_factory=Children, compare=False, repr=False)

    def assignments(self) -> list[str]:
        """The assignments of source/ that someone submitted, in order."""
        return [a for a in _folders(self.root / "source") if self.students(a)]

    def students(self, assignment: str) -> list[str]:
        """The students with a submission of `assignment`."""
        return [
            s
            for s in _folders(self.root / "submitted")
            if (self.root / "submitted" / s / assignment).is_dir()
        ]

    def run(self, *args: str) -> str:
        """Run `nbgrader ARGS` in the course folder; its log, or NbgraderFailed. Several may run at
        once, from threads; `children.stop()` interrupts them all (their sandboxes are removed)."""
        status, log = self.children.run(python_module("nbgrader", *args), cwd=self.root, env=_environment())
        if status != 0:
            raise NbgraderFailed(f"nbgrader {args[0]} {args[1:2]} failed:\n{log[-3000:]}")
        return log

    def generate(self, assignment: str) -> None:
        """Record the source's cells in the gradebook (the students' release/ is left alone)."""
        with tempfile.TemporaryDirectory(prefix=f"grader-{os.getpid()}-release-") as release:
            self.run(
                "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={release}"
            )

    def autograde(self, assignment: str, student: str, *, timeout_s: float, force: bool = False) -> None:
        """Restore, execute in a sandbox and score one submission (kept if already done, unless `force`)."""
        steps = [f"--Autograde.autograde_preprocessors={step}" for step in autograde_preprocessors()]
        limit = f"--SandboxExecute.timeout_s={timeout_s:g}"
        self.run("autograde", assignment, f"--student={student}", *steps, limit, *["--force"] * force)

    def feedback(self, assignment: str) -> None:
        """Write feedback/<student>/<assignment>/*.html for every autograded submission."""
        self.run("generate_feedback", assignment, "--force")

    def export(self, to: Path) -> list[dict[str, str]]:
        """Export every grade to the CSV `to` (nbgrader's columns); its rows."""
        self.run("export", f"--to={to.resolve()}")
        with to.open(newline="") as handle:
            return list(csv.DictReader(handle))


def _environment() -> dict[str, str]:
    """This environment, with this Python's scripts first on PATH (nbgrader runs `alembic`)."""
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}


def _folders(path: Path) -> list[str]:
    """The visible sub-folders of `path`, sorted."""
    if not path.is_dir():
        return []
    return sorted(f.name for f in path.iterdir() if f.is_dir() and not f.name.startswith("."))
