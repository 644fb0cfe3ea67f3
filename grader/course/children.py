"""Child processes run side by side from threads, and stopped together when the grader is interrupted.

Each child starts in a session of its own, so a terminal's Ctrl-C reaches the
grader alone; the grader then asks every child to stop once, as Ctrl-C would
(SIGINT: a Python child unwinds and removes its sandbox), and kills those that
linger. A second Ctrl-C in a child could cut its clean-up short. A child
inherits an ignored SIGINT (a grader started in the background of a script
has one), so Python children are started with `python_module`, which restores it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

STOP_TIMEOUT_S = 60  # for an interrupted child to clean up
_CTRL_C_RESTORED = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = sys.argv[1:]; runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


def python_module(module: str, *args: str) -> list[str]:
    """The command `python -m MODULE ARGS`, with Ctrl-C (SIGINT) restored should it be ignored."""
    return [sys.executable, "-c", _CTRL_C_RESTORED, module, *args]


class Children:
    """The processes started with `run`, from any thread; `stop` ends them all."""

    def __init__(self, stop_timeout_s: float = STOP_TIMEOUT_S) -> None:
        self.stop_timeout_s = stop_timeout_s
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._stopping = False

    def run(self, command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
        """Run `command` to its end: its exit status and what it wrote on stderr.

        Raises KeyboardInterrupt if `stop` ended it (or came first: then nothing
        starts), and stops it on any exception of its own thread.
        """
        with self._lock:
            if self._stopping:
                raise KeyboardInterrupt
            child = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            self._running.add(child)
        with child:
            try:
                _, log = child.communicate()
            except BaseException:
                self._end([child])
                raise
            finally:
                with self._lock:
                    self._running.discard(child)
        if self._stopping:
            raise KeyboardInterrupt
        return child.returncode, log

    def stop(self) -> None:
        """Stop every child running now, and any `run` from now on."""
        with self._lock:
            self._stopping = True
            running = list(self._running)
        self._end(running)

    def _end(self, children: list[subprocess.Popen[str]]) -> None:
        """SIGINT each child, then wait for them (`stop_timeout_s` at most) and kill what lingers."""
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
