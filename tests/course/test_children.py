"""Child processes run from threads and stopped together: real processes, real signals."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.course.children import Children, python_module

CLEANS_UP = """
import pathlib, sys, time
pathlib.Path(sys.argv[1], "started").touch()
try:
    time.sleep(60)
except KeyboardInterrupt:
    pathlib.Path(sys.argv[1], "cleaned").touch()
"""
IGNORES_CTRL_C = """
import pathlib, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
pathlib.Path(sys.argv[1], "started").touch()
time.sleep(60)
"""


def _in_thread(children: Children, script: str, folder: Path) -> tuple[threading.Thread, list[BaseException]]:
    """Run `script` as a Python module (as nbgrader is run) in a thread; what the thread raised."""
    (folder / "child_script.py").write_text(script)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            command = python_module("child_script", str(folder))
            children.run(command, cwd=folder, env={**os.environ, "PYTHONPATH": str(folder)})
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, raised


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_child_runs_to_its_end_with_its_status_and_log(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('the log'); sys.exit(3)"
    assert Children().run([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ)) == (
        3,
        "the log",
    )


@pytest.mark.parametrize("inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["ctrl-c", "ctrl-c-ignored"])
def test_stop_interrupts_every_running_child_once_and_lets_it_clean_up(
    tmp_path: Path, inherited: signal.Handlers
) -> None:
    """Even where the grader was started with Ctrl-C ignored (a background job of a script)."""
    children = Children()
    folders = [tmp_path / "a", tmp_path / "b"]
    previous = signal.signal(signal.SIGINT, inherited)
    try:
        runs = []
        for folder in folders:
            folder.mkdir()
            runs.append(_in_thread(children, CLEANS_UP, folder))
        for folder in folders:
            _wait_for(folder / "started")
    finally:
        signal.signal(signal.SIGINT, previous)

    started = time.monotonic()
    children.stop()

    assert time.monotonic() - started < 10, "stopped at once, not at the end of their sleep"
    for (thread, raised), folder in zip(runs, folders, strict=True):
        thread.join(10)
        assert (folder / "cleaned").exists(), "the child's clean-up ran"
        assert [type(error) for error in raised] == [KeyboardInterrupt]


def test_a_child_that_ignores_ctrl_c_is_killed_after_the_wait(tmp_path: Path) -> None:
    children = Children(stop_timeout_s=1)
    thread, raised = _in_thread(children, IGNORES_CTRL_C, tmp_path)
    _wait_for(tmp_path / "started")

    started = time.monotonic()
    children.stop()
    thread.join(10)

    assert 1 <= time.monotonic() - started < 10
    assert [type(error) for error in raised] == [KeyboardInterrupt]


def test_nothing_runs_once_stopped(tmp_path: Path) -> None:
    children = Children()
    children.stop()
    with pytest.raises(KeyboardInterrupt):
        children.run([sys.executable, "-c", CLEANS_UP, str(tmp_path)], cwd=tmp_path, env=dict(os.environ))
    assert not (tmp_path / "started").exists(), "the child never started"
