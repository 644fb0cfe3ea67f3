"""Sharing the host engine between the test workers of a parallel run, as `make test` runs it
(`pytest -n 4 --dist loadgroup`).

Most tests that need the engine make only labelled objects (a sandbox, a guard's runner) that no
other test looks at, and run side by side freely. Two kinds may not:

- *alone*: tests that build, tag or drop the base images on the host (the images' recipes, `grader
  images`, the leftovers sweep): every other test uses those images, so these run with the engine
  to themselves; and JupyterLab driven in a browser, whose server, with a course engine beside it,
  stopped answering its page now and then under the load of four workers;
- *host*: tests that make unlabelled objects on the host as a student would, or read the whole
  engine as a live check does (notebook check cells on the host engine, the live quiz and live checks,
  JupyterLab, checks tested against the host engine): one worker runs them
  all, one after another (xdist group `host-engine`).

A test's check that it left nothing behind (`tests.conftest.leaves_nothing`) is scoped by label in a
parallel run: it counts what carries its own process's ID, never the unlabelled objects a *host*
test makes meanwhile. What no label covers (an anonymous volume, an untagged image) is checked once
for the whole run: the engine must end the session as it began (`tests.conftest.leftovers`).

An *alone* test holds an exclusive lock for its whole run (set-up to tear-down), every other test
that needs the engine a shared one. Run serially, no lock is taken. A test queues for the lock
through a gate (`GATE`), which a waiting *alone* test holds: no new shared turn starts while it waits,
so it waits for the tests under way, never for a moment when no other worker runs one (flock alone
lets shared turns follow one another and kept an *alone* test waiting for minutes). The run's order puts the
*alone* tests first (so that no stream of shared locks keeps them waiting), then the host group, so
that one worker runs it while the other works through the rest.
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
BY_FILE = (  # a module-scoped fixture (a sandbox, a built image) each: one worker runs the file, once
    "tests/checks/test_backend.py",
    "tests/checks/test_images_info.py",
    "tests/checks/test_plugin.py",
    "tests/course/pictures/",
    "tests/course/test_assertions_stores.py",
    "tests/grading/test_grade_image.py",
    "tests/host/baseimages/",
    "tests/sandbox/guard/test_buildkit_cli.py",
    "tests/sandbox/guard/test_differential.py",
    "tests/sandbox/guard/test_proxy.py",
    "tests/sandbox/test_build.py",
    "tests/sandbox/test_containers.py",
    "tests/sandbox/test_isolation.py",
    "tests/sandbox/test_pids_bounds.py",
    "tests/sandbox/test_sandbox.py",
)

ALONE = (  # build, tag or drop images on the host engine, or sweep it; or need the machine quiet
    "tests/host/baseimages/",
    "tests/host/test_leftovers.py",
    "tests/commands/test_images.py",
    "tests/course/test_lab.py",
)
HOST = (  # make unlabelled objects on the host engine, or containers a live check would count
    "tests/course/test_notebook.py",
    "tests/course/test_assertions.py",
    "tests/quiz/test_live.py",
    "tests/grading/test_live.py",
    "tests/checks/test_environment.py",
    "tests/checks/test_toolkit.py",
    "tests/checks/test_lookout.py",  # runs busybox on the host engine, which live checks look for
)


def kind(item: pytest.Item) -> str:
    """`alone`, `host`, `shared` (any other test that needs the engine) or `free` (needs none)."""
    if item.get_closest_marker("docker") is None:
        return "free"
    path = item.nodeid.split("::", 1)[0]
    if path.startswith(ALONE):
        return "alone"
    if path.startswith(HOST):
        return "host"
    return "shared"


ORDER = {"alone": 0, "host": 1, "shared": 2, "free": 3}


def group_of(nodeid: str) -> str | None:
    """The group a test belongs to by its file: all of a group's tests go to one worker."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(HOST):
        return HOST_GROUP
    return GROUPS.get(path) or (path if path.startswith(BY_FILE) else None)


def arrange(items: list[pytest.Item]) -> None:
    """Order the run as the module's docstring says: the alone tests, the host group, the rest; any
    other group where its first test that needs the engine would go (a worker takes a group whole,
    at its first test: a file of image builds goes first, whatever else it holds)."""
    place: dict[str, int] = {HOST_GROUP: ORDER["host"]}
    for item in items:
        name = group_of(item.nodeid)
        if name and name != HOST_GROUP:
            place[name] = min(place.get(name, ORDER["free"]), ORDER[kind(item)])
    items.sort(key=lambda item: place.get(group_of(item.nodeid) or "", ORDER[kind(item)]))  # stable


class SharedScheduling(LoadGroupScheduling):
    """xdist's `loadgroup`, its groups read from the tests' files (`group_of`), not from marks:
    xdist 3.8 marks a group in the node ID, which pytest 9.2 no longer lets it change."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid) or nodeid


def parallel() -> bool:
    """Whether this process is a worker of a parallel run."""
    return "PYTEST_XDIST_WORKER" in os.environ


def lock_file(controller: int, name: str = "") -> Path:
    """One file per parallel run and lock, named after the process that started the workers."""
    return Path(tempfile.gettempdir()) / f"grader-tests-{controller}{name and '-' + name}.lock"


GATE = "gate"
"""The lock a test holds while it takes its turn on the engine's lock (`turn`)."""

RUN_FLOW = "run-flow"
"""Notebook 01 run on the host engine (JupyterLab's test) makes containers named `runflow-*`, which
the autograde of 01 checks never reach the host: the two take this lock, so they never run at the
same time. The notebook tests run it on a course engine of their own (`tests.course.conftest`)."""


def runs_notebook_01(item: pytest.Item) -> bool:
    """Whether `item` runs notebook 01 on the host engine, or autogrades it watching the host."""
    on_host = item.nodeid.split("::", 1)[0] == "tests/course/test_lab.py"
    return on_host or "run_flow_class" in getattr(item, "fixturenames", ())


@contextlib.contextmanager
def _locked(path: Path, how: int) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, how)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def turn(item: pytest.Item) -> Iterator[None]:
    """Hold the engine as `item`'s kind needs for as long as it runs (nothing when run serially),
    then, for a test of notebook 01 (`RUN_FLOW`), its own lock."""
    how = {"alone": fcntl.LOCK_EX, "host": fcntl.LOCK_SH, "shared": fcntl.LOCK_SH}.get(kind(item))
    if how is None or not parallel():
        yield
        return
    with contextlib.ExitStack() as held:
        with _locked(lock_file(os.getppid(), GATE), fcntl.LOCK_EX):
            held.enter_context(_locked(lock_file(os.getppid()), how))
        if runs_notebook_01(item):
            held.enter_context(_locked(lock_file(os.getppid(), RUN_FLOW), fcntl.LOCK_EX))
        yield
