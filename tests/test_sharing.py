"""Sharing the engine between the workers of a parallel run: which tests may overlap, and the lock."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.model.exercise import ROOT
from tests import sharing

TESTS = ROOT / "tests"


@dataclass
class FakeItem:
    """What `tests.sharing` reads of a pytest item: its node ID, whether it needs Docker, its fixtures."""

    nodeid: str
    docker: bool = True
    fixturenames: list[str] = field(default_factory=list)

    def get_closest_marker(self, name: str) -> object:
        return object() if name == "docker" and self.docker else None


NOTEBOOK = FakeItem("tests/course/test_notebook.py::test_x[02-containers]")
COURSE_ENGINE = FakeItem("tests/course/test_running_notebooks.py::test_x[01-run-flow]")
LEAK = "leaves_nothing"
LEAK_CHECKED = FakeItem("tests/grading/test_grade.py::test_x", fixturenames=[LEAK])
FREE = FakeItem("tests/exercises/test_variants.py::test_x")
NO_ENGINE = FakeItem("tests/course/test_notebook.py::test_y", docker=False)
BUILDS_IMAGES = FakeItem(
    "tests/host/baseimages/test_debian_image.py::test_x", fixturenames=["leaves_nothing"]
)


def test_each_test_is_of_the_kind_its_use_of_the_engine_says() -> None:
    items = (NOTEBOOK, LEAK_CHECKED, FREE, NO_ENGINE, BUILDS_IMAGES, COURSE_ENGINE)
    kinds = [sharing.kind(item) for item in items]
    assert kinds == ["host", "shared", "shared", "free", "alone", "shared"], "the course engine is labelled"


def test_image_builds_go_first_then_the_host_group() -> None:
    items = [BUILDS_IMAGES, LEAK_CHECKED, FREE, NOTEBOOK, NO_ENGINE]
    sharing.arrange(items)  # type: ignore[arg-type]
    assert items == [BUILDS_IMAGES, NOTEBOOK, NO_ENGINE, LEAK_CHECKED, FREE]


def test_a_group_goes_where_its_first_engine_test_would() -> None:
    nbgrade = [
        FakeItem("tests/course/test_nbgrade.py::a", docker=False),
        FakeItem("tests/course/test_nbgrade.py::b", fixturenames=[LEAK]),
    ]
    images = [  # a file of image builds holding a test that needs no engine goes first all the same
        FakeItem("tests/host/baseimages/test_debian_image.py::a", docker=False),
        FakeItem("tests/host/baseimages/test_debian_image.py::b"),
    ]
    pure = FakeItem("tests/test_text.py::test_x", docker=False)
    items = [pure, *nbgrade, FREE, *images]
    sharing.arrange(items)  # type: ignore[arg-type]
    assert items == [*images, *nbgrade, FREE, pure]


def test_one_worker_takes_each_group_whole() -> None:
    scope = sharing.SharedScheduling._split_scope
    assert scope(None, NOTEBOOK.nodeid) == scope(None, NO_ENGINE.nodeid) == sharing.HOST_GROUP  # type: ignore[arg-type]
    assert scope(None, "tests/course/test_assertions.py::x") == sharing.HOST_GROUP  # type: ignore[arg-type]
    assert scope(None, "tests/course/test_nbgrade.py::x") == "nbgrade"  # type: ignore[arg-type]
    assert scope(None, FREE.nodeid) == FREE.nodeid  # type: ignore[arg-type]
    assert scope(None, COURSE_ENGINE.nodeid) == COURSE_ENGINE.nodeid, "spread over workers"  # type: ignore[arg-type]


def test_every_path_named_exists() -> None:
    for path in (*sharing.ALONE, *sharing.HOST, *sharing.GROUPS):
        assert (ROOT / path).exists(), path


def _taken(path: Path, how: int) -> bool:
    """Whether another holder of `path` keeps this lock from being taken now."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, how | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _private_locks(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Act as a worker of a parallel run whose locks live in `folder`, never the real run's: this
    test may itself run inside one, where other workers hold the real locks."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setattr(sharing, "lock_file", lambda controller, name="": folder / f"{controller}{name}")


def test_in_a_parallel_run_an_image_build_has_the_engine_to_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _private_locks(monkeypatch, tmp_path)
    lock = sharing.lock_file(os.getppid())
    with sharing.turn(BUILDS_IMAGES):  # type: ignore[arg-type]
        assert _taken(lock, fcntl.LOCK_SH), "every other test that needs the engine waits"
    for beside in (NOTEBOOK, LEAK_CHECKED):
        with sharing.turn(beside):  # type: ignore[arg-type]
            assert not _taken(lock, fcntl.LOCK_SH), "another test runs beside it"
            assert _taken(lock, fcntl.LOCK_EX), "an image build waits"
    assert not _taken(lock, fcntl.LOCK_EX), "the lock is given back"


def _in_turn(item: FakeItem, done: list[str], hold_s: float = 0.0) -> threading.Thread:
    """A thread that takes `item`'s turn, notes its node ID in `done`, holds the turn `hold_s`."""

    def take() -> None:
        with sharing.turn(item):  # type: ignore[arg-type]
            done.append(item.nodeid)
            time.sleep(hold_s)

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_a_waiting_image_build_goes_before_the_tests_that_come_after_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """flock alone lets shared turns follow one another: an image build waited for a moment when no
    other worker ran a test. Queued at the gate, it waits only for the tests under way."""
    _private_locks(monkeypatch, tmp_path)
    gate = sharing.lock_file(os.getppid(), sharing.GATE)
    done: list[str] = []
    with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
        build = _in_turn(BUILDS_IMAGES, done, hold_s=0.3)
        _until(lambda: _taken(gate, fcntl.LOCK_EX))
        later = _in_turn(LEAK_CHECKED, done)
        time.sleep(0.3)
        assert done == [], "the build waits for the test under way, the later test behind it"
    build.join(10)
    later.join(10)
    assert done == [BUILDS_IMAGES.nodeid, LEAK_CHECKED.nodeid]


def test_run_serially_no_lock_is_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _private_locks(monkeypatch, tmp_path)
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
        assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")  # the same test in a parallel run takes one
    with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
        assert list(tmp_path.iterdir()) != []


def test_notebook_01_on_the_host_and_its_autograde_never_overlap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    on_host = FakeItem("tests/course/test_lab.py::test_x")
    autograde = FakeItem("tests/course/test_nbgrade.py::test_y", fixturenames=["run_flow_class"])
    assert sharing.runs_notebook_01(on_host) and sharing.runs_notebook_01(autograde)  # type: ignore[arg-type]
    assert not sharing.runs_notebook_01(NOTEBOOK)  # type: ignore[arg-type]
    assert not sharing.runs_notebook_01(COURSE_ENGINE), "01 on the course engine"  # type: ignore[arg-type]
    _private_locks(monkeypatch, tmp_path)
    lock = sharing.lock_file(os.getppid(), sharing.RUN_FLOW)
    with sharing.turn(on_host):  # type: ignore[arg-type]
        assert _taken(lock, fcntl.LOCK_EX), "the autograde of 01 waits"
    with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
        assert not _taken(lock, fcntl.LOCK_EX), "another notebook leaves it be"


def test_a_file_with_a_module_scoped_fixture_runs_on_one_worker() -> None:
    """Spread over the workers, such a file would make its sandbox or image once on each."""
    module_scoped = '@pytest.fixture(scope="module"'
    users = {"store_sandbox"}  # conftest's module fixture, made again by each worker that uses it
    for path in sorted(set(TESTS.rglob("test_*.py")) - {Path(__file__)}):
        text, name = path.read_text(), path.relative_to(ROOT).as_posix()
        if module_scoped in text or any(user in text for user in users):
            assert sharing.group_of(f"{name}::test_x"), f"{name} is in no group (tests.sharing.BY_FILE)"
