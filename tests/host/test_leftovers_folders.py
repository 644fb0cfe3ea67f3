"""What crashed grading runs leave in the temporary folder (their guards' socket folders), found by
their process and removed; those of live processes are spared."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from grader.host import leftovers
from tests.conftest import dead_pid


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the grader sees: one of this test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _made(tmp: Path, name: str) -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / "docker.sock").touch()
    return folder


def test_the_folders_of_gone_processes_are_found_and_removed(tmp: Path) -> None:
    dead = dead_pid()
    gone = [
        _made(tmp, f"grader-{dead}-0123abcd-x1y2"),  # a sandbox's sockets
        _made(tmp, f"grader-{dead}-guard-zz9"),  # a guard's
        _made(tmp, f"grader-{dead}-submission-a_b1"),  # a batch worker's copy of a submission
    ]
    alive = _made(tmp, f"grader-{os.getpid()}-4567cdef-k3")
    assert leftovers.stale_folders() == sorted(gone)
    leftovers.remove_folders(leftovers.stale_folders())
    assert sorted(tmp.iterdir()) == [alive]


def test_with_everything_the_folders_of_live_processes_are_found_too(tmp: Path) -> None:
    alive = _made(tmp, f"grader-{os.getpid()}-4567cdef-k3")
    assert leftovers.stale_folders(everything=True) == [alive]


def test_what_is_not_a_grading_run_s_folder_is_never_found(tmp: Path) -> None:
    dead = dead_pid()
    (tmp / f"grader-{dead}-file").write_text("a file, not a folder")
    _made(tmp, f"graders-{dead}-x")
    _made(tmp, f"grader-x{dead}-y")
    (tmp / f"grader-{dead}-link").symlink_to(_made(tmp, "kept"))
    assert leftovers.stale_folders(everything=True) == []
