"""The kernel's run of a notebook (grader.course.notebook_run), with a real IPython kernel and a host
played by the test: its time limit, and the check cells it stops at for the host."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader.course.notebook_run import ANSWERS, GO, execute

pytestmark = pytest.mark.slow


def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])


def _counts(out: Path) -> list[int | None]:
    return [cell.execution_count for cell in nbformat.read(out, as_version=4).cells]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[list[float]]:
    """A host that takes 3 s to score check cell 1: it writes GO for it 3 s after the kernel wrote
    the cell's answers, which it does just before it says it reached the cell. Yields when it was
    asked, if it was."""
    asked: list[float] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.wait(0.05):
            if (tmp_path / ANSWERS.format(1)).exists():
                asked.append(time.monotonic())
                time.sleep(3)
                (tmp_path / GO.format(1)).touch()
                return

    server = threading.Thread(target=serve)
    server.start()
    yield asked
    stop.set()
    server.join()


def test_the_host_s_scoring_is_not_counted_in_the_time_limit(tmp_path: Path, host: list[float]) -> None:
    """The host takes 3 s to score the check cell, more than the notebook's 2 s: the cell after it
    still runs."""
    out = tmp_path / "executed.ipynb"
    execute(_notebook("x = 1", "check(x)", "y = x + 1"), out, 2, frozenset({1}))
    assert host, "the kernel never stopped at the check cell"
    assert _counts(out)[2] is not None, "the host's 3 s were counted against the notebook's 2 s"


def test_the_check_cell_after_a_cell_that_ran_out_of_time_is_scored_and_nothing_after_runs(
    tmp_path: Path, host: list[float]
) -> None:
    out = tmp_path / "executed.ipynb"
    execute(_notebook("import time; time.sleep(60)", "check(x)", "y = 1"), out, 2, frozenset({1}))
    assert host, "the check cell after the interrupted one was not offered to the host"
    assert _counts(out)[2] is None, "a cell after the time limit ran"
