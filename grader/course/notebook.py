"""What the course notebooks' cells call: check an exercise, score a notebook task, clean up.

    from grader.course.notebook import check, task, expect, clean_up
    check("networks.cats-and-dogs")              # a setup exercise, live on your engine
    check("dockerfiles.hello", "hello")          # a Dockerfile exercise, built in a sandbox
    task("Tag the image",                        # a task of the notebook itself
         expect(2, "An image tagged course/tools:1.0 exists.",
                lambda env: env.image("course/tools:1.0"), hint="docker tag SOURCE TARGET"))
    clean_up(containers=["web"], networks=["learning"])

A check cell shows the student a table of what passed and what failed (what was
expected, what was found, a hint) and never a traceback. Its value is a `Score`,
whose plain text is the number of points: nbgrader reads that as the cell's
partial credit, and nothing is written to stderr (which nbgrader would count as
a failure).
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from grader.checks.environment import Environment
from grader.checks.plugin import deadline, found_in
from grader.course.pictures import Topology, compare
from grader.course.pictures.svg import Picture
from grader.grading import live
from grader.grading.grade import GRADING_ERRORS, grade
from grader.grading.grade_image import GivenEngine
from grader.host import engine
from grader.model.exercise import load
from grader.model.result import CheckResult, Result
from grader.outputs.feedback import exercise_markdown
from grader.sandbox.sandbox import Sandbox

EXPECT_LIMIT_S = 30.0  # no expectation of a task runs longer than this


@dataclass(frozen=True)
class Sandboxed:
    """Where check cells look when the grader scores a notebook on the host (grader.course.notebook_score):
    a sandbox's engine, the address its published ports answer on, the IDs of the base images loaded
    there, and the host's copy of the notebook's folder."""

    client: docker.DockerClient
    address: str
    folder: Path
    base_images: dict[str, str] = field(default_factory=dict)
    sandbox: Sandbox | None = None  # where an image exercise's build runs, with BuildKit


_sandboxed: ContextVar[Sandboxed | None] = ContextVar("sandboxed", default=None)


@contextlib.contextmanager
def sandboxed(where: Sandboxed) -> Iterator[None]:
    """Within this, `check` and `task` look at `where`, never at an engine of their own."""
    token = _sandboxed.set(where)
    try:
        yield
    finally:
        _sandboxed.reset(token)


@dataclass
class Score:
    """A graded cell's value: shown as the student's feedback, read by nbgrader as points."""

    result: Result

    @property
    def points(self) -> float:
        return self.result.score

    def _repr_markdown_(self) -> str:
        """How the cell shows its score: the student's feedback for the exercise."""
        return exercise_markdown(self.result)

    def __repr__(self) -> str:
        return f"{self.points:g}"


@dataclass(frozen=True)
class Expectation:
    """One item of a notebook task: a test of the live engine and what a student reads of it.

    `test(env)` passes unless it raises; an AssertionError's message (or the
    Environment's own, such as "there is no container named web") is what was found.
    """

    points: float
    expected: str
    test: Callable[[Environment], object]
    hint: str = ""
    reproduce: str = ""


def expect(
    points: float,
    expected: str,
    test: Callable[[Environment], object],
    *,
    hint: str = "",
    reproduce: str = "",
) -> Expectation:
    """An item of a task worth `points`: `test(env)` must not raise."""
    return Expectation(points, expected, test, hint, reproduce)


def check(exercise: str, folder: str | Path | None = None) -> Score:
    """Grade an exercise of exercises/: a setup one live, an image one from `folder` in a sandbox."""
    with _quiet():
        try:
            result = _check(exercise, folder)
        except GRADING_ERRORS as failed:  # no engine, say: a message in the table, never a traceback
            result = _error(exercise, str(failed))
    return Score(result)


def _check(exercise: str, folder: str | Path | None) -> Result:
    loaded, where = load(exercise), _sandboxed.get()
    if loaded.kind == "setup":
        if where is not None:
            return live.check(
                loaded, client=where.client, address=where.address, base_images=where.base_images
            )
        result = live.check(loaded)
        if loaded.topology and result.status == "graded" and result.score < result.max_score:
            _show(_topologies(loaded.topology))
        return result
    if folder is None:
        return _error(exercise, f"Say which folder holds your Dockerfile: check({exercise!r}, 'FOLDER').")
    path = Path(folder) if where is None else where.folder / folder
    if not path.is_dir():
        return _error(exercise, f"There is no folder {folder} next to this notebook.")
    if where is None:
        return grade(loaded, path)
    result = grade(loaded, path, on=GivenEngine(where.client, where.base_images, where.sandbox))
    result.submission = str(folder)  # not the host's copy
    return result


def task(name: str, *expectations: Expectation, client: docker.DockerClient | None = None) -> Score:
    """Grade a notebook's own task: each expectation against the student's engine, live."""
    started = time.monotonic()
    with _quiet():
        try:
            env = _environment(client)
        except GRADING_ERRORS as failed:
            return Score(_error(name, str(failed)))
        try:
            checks = [_evaluate(f"part {n}", item, env) for n, item in enumerate(expectations, 1)]
        finally:
            env.close()
    result = Result(exercise=name, submission="your Docker engine", checks=checks)
    result.duration_s = time.monotonic() - started
    return Score(result)


def _environment(client: docker.DockerClient | None) -> Environment:
    """The engine a task looks at: the sandbox's when the grader scores on the host, else the student's."""
    where = _sandboxed.get()
    if where is None:
        return Environment(client or engine.connect(), live.LOOPBACK, live=True)
    return Environment(where.client, where.address, base_images=where.base_images)


def clean_up(
    *,
    containers: Sequence[str] = (),
    networks: Sequence[str] = (),
    volumes: Sequence[str] = (),
    images: Sequence[str] = (),
    client: docker.DockerClient | None = None,
) -> None:
    """Remove exactly these (containers first), those that exist, and say what went."""
    client = client or engine.connect()
    removed = [
        *_remove(containers, lambda name: client.containers.get(name).remove(force=True, v=True)),
        *_remove(networks, lambda name: client.networks.get(name).remove()),
        *_remove(volumes, lambda name: client.volumes.get(name).remove(force=True)),
        *_remove(images, lambda name: client.images.remove(name, force=True)),
    ]
    print("Removed: " + ", ".join(removed) if removed else "Nothing to remove: all clean.")


def _remove(names: Sequence[str], remove: Callable[[str], None]) -> list[str]:
    gone = []
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            remove(name)
            gone.append(name)
    return gone


def _evaluate(name: str, item: Expectation, env: Environment) -> CheckResult:
    error: BaseException | None = None
    try:
        with deadline(EXPECT_LIMIT_S):
            item.test(env)
    except Exception as failed:  # whatever it was, the student reads it, not a traceback
        error = failed
    return CheckResult(
        name=name,
        max_points=item.points,
        passed=error is None,
        expected=item.expected,
        found=found_in(error),
        hint=item.hint,
        reproduce=item.reproduce,
    )


def _topologies(expected: dict[str, frozenset[str]]) -> Picture:
    """The networks an exercise expects beside those the student's engine has."""
    found = Topology.from_engine(engine.connect(), *expected)
    return compare(Topology({name: set(names) for name, names in expected.items()}), found)


def _show(picture: Picture) -> None:
    """Show a picture above the cell's table (in a notebook; elsewhere nothing)."""
    with contextlib.suppress(ImportError):
        from IPython.display import display

        display(picture)


def _error(name: str, reason: str) -> Result:
    return Result(exercise=name, submission="your Docker engine", status="error", reason=reason)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep warnings and stray prints off stderr, where nbgrader would read a failure."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
