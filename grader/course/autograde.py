"""`grader autograde`'s work: nbgrader's round trip for a course folder, each notebook in a sandbox.

Record each assignment's source cells in nbgrader's gradebook, autograde the students' submissions
of every assignment `jobs` at a time (each notebook run in a sandbox within its time limit, scored
by nbgrader; one pool for all, so a class's last notebooks of one assignment never leave workers
idle), write each assignment's feedback. How each step went is told to a `Steps` the command renders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from grader.course.nbgrade import Course, NbgraderFailed
from grader.course.notebook_sandbox import COURSE_IMAGES
from grader.host import machine
from grader.host.baseimages import notebook_kernel, sandbox_engine


def images() -> tuple[str, ...]:
    """The images autograding needs: the sandbox engine, the notebook kernel, the course's."""
    return (sandbox_engine.NAME, notebook_kernel.image_tag(), *COURSE_IMAGES)


class Steps(Protocol):
    """Who is told how autograding goes."""

    def stage(self, what: str) -> AbstractContextManager[object]:
        """A stage that is under way while its context lasts."""

    def step(self, what: str, failure: NbgraderFailed | None) -> None:
        """One nbgrader step is done (failure None) or failed."""


@dataclass(frozen=True)
class Again:
    """Whose submissions are autograded again even if already autograded."""

    students: frozenset[str] = frozenset()
    everyone: bool = False

    def __contains__(self, student: object) -> bool:
        return self.everyone or student in self.students


def prepare_images() -> None:
    """The sandbox engine, the kernel image and the course's images, built if missing."""
    machine.prepare_images(images())


def assignments(
    folder: Course,
    names: Sequence[str],
    *,
    students: Sequence[str],
    timeout_s: float,
    again: Again,
    jobs: int,
    steps: Steps,
) -> int:
    """Autograde the submissions of every assignment in `names`, `jobs` at once across them all, and
    write their feedback; how many steps failed. Stopped (Ctrl-C), the nbgrader processes are
    stopped and remove their sandboxes."""
    failures = 0
    for name in names:
        with steps.stage(f"{name}: recording the source in the gradebook..."):
            failures += _attempt(f"{name}: gradebook", partial(folder.generate, name), steps)
    work = [(name, student) for name in names for student in (students or folder.students(name))]

    def grade(submission: tuple[str, str]) -> int:
        name, student = submission
        step = partial(folder.autograde, name, student, timeout_s=timeout_s, force=student in again)
        return _attempt(f"{name}: {student}", step, steps)

    with steps.stage(f"autograding {len(work)} submissions, {jobs} at a time..."):
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            failures += sum(pool.map(grade, work))
        except BaseException:
            folder.children.stop()  # the nbgrader processes remove their sandboxes
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    for name in names:
        with steps.stage(f"{name}: feedback..."):
            failures += _attempt(f"{name}: feedback", partial(folder.feedback, name), steps)
    return failures


def _attempt(what: str, step: Callable[[], None], steps: Steps) -> int:
    """Do one nbgrader step and say how it went; 1 if it failed, else 0."""
    try:
        step()
    except NbgraderFailed as error:
        steps.step(what, error)
        return 1
    steps.step(what, None)
    return 0
