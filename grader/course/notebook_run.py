"""Execute a notebook cell by cell within a time limit; runs inside the kernel container.

    python3 -m grader.course.notebook_run IN.ipynb OUT.ipynb SECONDS [CHECK_INDEX...]

The notebook is saved to OUT after every cell, so whatever stops the run
(its time limit, the host killing the container), what ran is kept. A cell
still running when the time is up is interrupted; the cells after it are left
unexecuted (no execution count), which the host grades as not run. Before each
check cell (CHECK_INDEX: its place in the notebook) it prints REACHED and the
index, and waits until the host, having scored that cell against the sandbox's
engine, writes GO-<index> next to OUT. Needs only nbformat and nbclient
(Debian's), never the host.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MIN_CELL_S = 1
REACHED, GO = "grader-reached-check-cell ", "go-{}"
POLL_S = 0.1


def execute(
    notebook: nbformat.NotebookNode, out: Path, limit_s: float, checks: frozenset[int] = frozenset()
) -> None:
    """Run every cell until `limit_s` seconds are up, saving to `out` after each, and waiting for
    the host before each of the `checks` cells."""
    deadline = time.monotonic() + limit_s
    client = NotebookClient(
        notebook,
        timeout=max(MIN_CELL_S, int(limit_s)),
        allow_errors=True,
        interrupt_on_timeout=True,
        kernel_name="python3",
        resources={"metadata": {"path": os.getcwd()}},
    )
    client.comm_open_handlers = {}  # widgets' state is not graded (and Debian's nbclient trips on it)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if index in checks and not wait_for_host(out.parent, index, deadline):
                break
            client.timeout = max(MIN_CELL_S, int(deadline - time.monotonic()))
            try:
                client.execute_cell(cell, index)
            except Exception as failed:  # nbclient's own trouble: this cell fails, the run goes on
                cell.outputs = [
                    nbformat.v4.new_output(
                        "error", ename=type(failed).__name__, evalue=str(failed), traceback=[]
                    )
                ]
                cell.execution_count = cell.get("execution_count") or index + 1
            save(notebook, out)


def wait_for_host(folder: Path, index: int, deadline: float) -> bool:
    """Say the check cell `index` is reached, and wait for the host to have scored it; False when
    the time is up first."""
    print(f"{REACHED}{index}", flush=True)
    while not (folder / GO.format(index)).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


def save(notebook: nbformat.NotebookNode, out: Path) -> None:
    """Write `out` whole or not at all."""
    partial = out.with_suffix(".partial")
    nbformat.write(notebook, str(partial))
    os.replace(partial, out)


def main(argv: list[str]) -> int:
    source, out, limit = Path(argv[0]), Path(argv[1]), float(argv[2])
    notebook = nbformat.read(str(source), as_version=4)
    save(notebook, out)
    execute(notebook, out, limit, frozenset(int(index) for index in argv[3:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
