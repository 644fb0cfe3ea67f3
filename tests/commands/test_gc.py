"""`grader gc`: what crashed runs left, on the engine and in the temporary folder, removed and listed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from tests.conftest import dead_pid

pytestmark = pytest.mark.docker


def test_gc_removes_the_socket_folders_of_gone_runs_and_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = tmp_path / f"grader-{dead_pid()}-0123abcd-x1y2"
    alive = tmp_path / f"grader-{os.getpid()}-4567cdef-k3"
    for folder in (gone, alive):
        folder.mkdir()
        (folder / "docker.sock").touch()
    done = CliRunner().invoke(main, ["gc"], terminal_width=200)
    assert done.exit_code == 0, done.output
    assert f"removed folder {gone}" in done.output
    assert not gone.exists() and alive.is_dir()
