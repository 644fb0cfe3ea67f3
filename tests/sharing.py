"""Sharing the host engine between the test workers of a parallel run (`pytest -n 2 --dist loadgroup`).

Most tests that need the engine make only labelled objects (a sandbox, a guard's runner) that no
other test looks at, and run side by side freely. Three kinds may not overlap with each other:

- *alone*: tests that build, tag or drop images on the host (the base images' recipes, `grader
  images`, the leftovers sweep); they run with the engine to themselves;
- *host*: tests that make unlabelled objects on the host as a student would (notebooks run on the
  host engine, the live quiz and live checks); one worker runs them all, one after another
  (xdist group `host-engine`), and no leak-checked test runs meanwhile;
- *leak-checked*: tests with the `leaves_nothing` fixture, which compares everything on the engine
  before and after; several may run together, since what each grading run makes carries its
  process's ID and is told apart (`tests.conftest.ours`).

*alone* and *host* tests hold an exclusive lock for their whole run (set-up to tear-down),
leak-checked tests a shared one; the others hold none. Run serially, no lock is taken. The run's
order puts the host group first, so that one worker runs it while the other works through the
tests that need no lock, then the leak-checked tests, then those that need the engine alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from xdist.scheduler import LoadGroupScheduling

HOST_GROUP = "host-engine"
GROUPS = {  # files whose tests must not run beside each other: one worker runs each
    "tests/course/test_nbgrade.py": "nbgrade",  # counts the notebook kernels its autograding starts
}

ALONE = (  # build, tag or drop images on the host engine, or sweep it
    "tests/host/baseimages/",
    "tests/host/test_leftovers.py",
    "tests/commands/test_images.py",
)
HOST = (  # make unlabelled containers, networks, volumes or images on the host engine
    "tests/course/test_running_notebooks.py",
    "tests/course/test_notebook.py",
    "tests/course/test_assertions.py",
    "tests/quiz/test_live.py",
    "tests/grading/test_live.py",
)
LEAK_CHECK = "leaves_nothing"


def kind(item: pytest.Item) -> str:
    """`alone`, `host`, `leak-checked`, or `free` (any test that needs no engine is free)."""
    if item.get_closest_marker("docker") is None:
        return "free"
    path = item.nodeid.split("::", 1)[0]
    if path.startswith(ALONE):
        return "alone"
    if path.startswith(HOST):
        return "host"
    if LEAK_CHECK in getattr(item, "fixturenames", ()):
        return "leak-checked"
    return "free"


ORDER = {"host": 0, "free": 1, "leak-checked": 2, "alone": 3}


def group_of(nodeid: str) -> str | None:
    """The group a test belongs to by its file: all of a group's tests go to one worker."""
    path = nodeid.split("::", 1)[0]
    return HOST_GROUP if path.startswith(HOST) else GROUPS.get(path)


def arrange(items: list[pytest.Item]) -> None:
    """Order the run as the module's docstring says: the host group first, any other group where its
    last test would go (a worker takes a group whole, at its first test)."""
    place: dict[str, int] = {HOST_GROUP: 0}
    for item in items:
        name = group_of(item.nodeid)
        if name and name != HOST_GROUP:
            place[name] = max(place.get(name, 0), ORDER[kind(item)])
    items.sort(key=lambda item: place.get(group_of(item.nodeid) or "", ORDER[kind(item)]))  # stable


class SharedScheduling(LoadGroupScheduling):
    """xdist's `loadgroup`, its groups read from the tests' files (`group_of`), not from marks:
    xdist 3.8 marks a group in the node ID, which pytest 9.2 no longer lets it change."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid) or nodeid


def parallel() -> bool:
    """Whether this process is a worker of a parallel run."""
    return "PYTEST_XDIST_WORKER" in os.environ


def lock_file(controller: int) -> Path:
    """One file per parallel run, named after the process that started the workers."""
    return Path(tempfile.gettempdir()) / f"grader-tests-{controller}.lock"


@contextlib.contextmanager
def turn(item: pytest.Item) -> Iterator[None]:
    """Hold the engine as `item`'s kind needs for as long as it runs (nothing when run serially)."""
    how = {"alone": fcntl.LOCK_EX, "host": fcntl.LOCK_EX, "leak-checked": fcntl.LOCK_SH}.get(kind(item))
    if how is None or not parallel():
        yield
        return
    with lock_file(os.getppid()).open("a") as handle:
        fcntl.flock(handle, how)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
