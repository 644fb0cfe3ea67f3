"""Sharing the engine between the workers of a parallel run: which tests may overlap, and the lock."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.model.exercise import ROOT
from tests import sharing


@dataclass
class FakeItem:
    """What `tests.sharing` reads of a pytest item: its node ID, marks and fixtures."""

    nodeid: str
    docker: bool = True
    fixturenames: list[str] = field(default_factory=list)
    marks: list[pytest.Mark] = field(default_factory=list)

    def get_closest_marker(self, name: str) -> object:
        return object() if name == "docker" and self.docker else None

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.mark)


NOTEBOOK = FakeItem("tests/course/test_running_notebooks.py::test_x[02-containers]")
LEAK = "leaves_nothing"
LEAK_CHECKED = FakeItem("tests/grading/test_grade.py::test_x", fixturenames=[LEAK])
FREE = FakeItem("tests/exercises/test_variants.py::test_x")
NO_ENGINE = FakeItem("tests/course/test_running_notebooks.py::test_y", docker=False)
BUILDS_IMAGES = FakeItem(
    "tests/host/baseimages/test_debian_image.py::test_x", fixturenames=["leaves_nothing"]
)


def test_each_test_is_of_the_kind_its_use_of_the_engine_says() -> None:
    kinds = [sharing.kind(item) for item in (NOTEBOOK, LEAK_CHECKED, FREE, NO_ENGINE, BUILDS_IMAGES)]
    assert kinds == ["host", "leak-checked", "free", "free", "alone"]


def test_host_tests_go_first_on_one_worker_and_image_builds_last() -> None:
    notebook, free = FakeItem(NOTEBOOK.nodeid), FakeItem(FREE.nodeid)
    items = [BUILDS_IMAGES, LEAK_CHECKED, free, notebook, NO_ENGINE]
    sharing.arrange(items)  # type: ignore[arg-type]
    assert items == [notebook, free, NO_ENGINE, LEAK_CHECKED, BUILDS_IMAGES]
    assert [mark.args for mark in notebook.marks] == [(sharing.HOST_GROUP,)]
    assert free.marks == []


def test_a_group_goes_where_its_last_test_would() -> None:
    nbgrade = [FakeItem("tests/course/test_nbgrade.py::a", docker=False), FakeItem(LEAK_CHECKED.nodeid)]
    nbgrade[1].nodeid = "tests/course/test_nbgrade.py::b"
    nbgrade[1].fixturenames = [LEAK]
    free = FakeItem(FREE.nodeid)
    items = [*nbgrade, free]
    sharing.arrange(items)  # type: ignore[arg-type]
    assert items == [free, *nbgrade]
    assert [mark.args for item in nbgrade for mark in item.marks] == [("nbgrade",), ("nbgrade",)]


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


def test_in_a_parallel_run_a_host_test_has_the_engine_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    lock = sharing.lock_file(os.getppid())
    try:
        with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
            assert _taken(lock, fcntl.LOCK_SH), "a leak-checked test waits"
        with sharing.turn(LEAK_CHECKED):  # type: ignore[arg-type]
            assert not _taken(lock, fcntl.LOCK_SH), "another leak-checked test runs beside it"
            assert _taken(lock, fcntl.LOCK_EX), "a host test waits"
        assert not _taken(lock, fcntl.LOCK_EX), "the lock is given back"
    finally:
        lock.unlink(missing_ok=True)


def test_run_serially_no_lock_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    with sharing.turn(NOTEBOOK):  # type: ignore[arg-type]
        assert not sharing.lock_file(os.getppid()).exists()
