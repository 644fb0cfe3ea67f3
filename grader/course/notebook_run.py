"""Execute a notebook cell by cell within a time limit; runs inside the kernel container.

    python3 -m grader.course.notebook_run IN.ipynb OUT.ipynb SECONDS [CHECK_INDEX...]

The notebook is saved to OUT after every cell, so whatever stops the run
(its time limit, the host killing the container), what ran is kept. A cell
still running when the time is up is interrupted; a check cell right after it
is still scored, and the cells after that are left unexecuted (no execution
count), which the host grades as not run. The time the host takes to score is
not counted. Before each check cell (CHECK_INDEX: its place in the notebook) it
prints REACHED and the index, and waits until the host, having scored that cell against the sandbox's
engine, writes GO-<index> next to OUT. Just before, it asks the kernel for the
names the check cell reads but does not define (`free_names`: a student's
answer, such as 09's `init_pid`) and writes their reprs, made in the kernel, to
ANSWERS-<index> next to OUT: the host reads them as literal data, never as code
(grader.course.notebook_score). Needs only nbformat and nbclient (Debian's), never
the host.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import keyword
import math
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MIN_CELL_S = 1
REACHED, GO = "grader-reached-check-cell ", "go-{}"
POLL_S = 0.1
HOST_PATIENCE_S = 300  # for the host to score a check cell (it kills a kernel it gave up on sooner)
ANSWERS = "answers-{}.json"
MAX_NAMES, MAX_VALUE_CHARS = 8, 4096  # of a check cell's answers, each a repr of at most this many characters
GRADER_NAMES = frozenset({"check", "task", "expect", "clean_up"})  # never a student's answer


def execute(
    notebook: nbformat.NotebookNode, out: Path, limit_s: float, checks: frozenset[int] = frozenset()
) -> None:
    """Run every cell until `limit_s` seconds are up, saving to `out` after each, and waiting for
    the host before each of the `checks` cells."""
    deadline = time.monotonic() + limit_s
    client = NotebookClient(
        notebook,
        timeout=max(MIN_CELL_S, math.ceil(limit_s)),
        allow_errors=True,
        interrupt_on_timeout=True,
        kernel_name="python3",
        resources={"metadata": {"path": os.getcwd()}},
    )
    client.comm_open_handlers = {}  # widgets' state is not graded (and Debian's nbclient trips on it)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.timeout = max(MIN_CELL_S, math.ceil(deadline - time.monotonic()))
            if index in checks:  # scored even when the cell before it used up the time
                report_answers(client, cell.source, out.parent / ANSWERS.format(index))
                waited = wait_for_host(out.parent, index)
                if waited is None:
                    break
                deadline += waited  # the host's scoring is not the student's time
            left = deadline - time.monotonic()
            if left <= 0:
                break
            client.timeout = max(MIN_CELL_S, math.ceil(left))  # whole seconds: to the deadline, not short
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


def free_names(source: str) -> list[str]:
    """The names the cell `source` reads and never binds (no builtin, none of GRADER_NAMES, no
    dunder), sorted, at most MAX_NAMES: what it takes from the student's kernel. A name in
    `globals().get("name")` or `globals()["name"]` is read too. None when it imports `*`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    read: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            if node.name == "*":
                return []
            bound.add(node.asname or node.name.split(".")[0])
        else:
            bound.update(_binds(node))
            read.update(_looked_up(node))
    free = read - bound - set(dir(builtins)) - GRADER_NAMES
    return sorted(name for name in free if not name.startswith("__"))[:MAX_NAMES]


def _binds(node: ast.AST) -> list[str]:
    """The names `node` binds, besides assignments and imports."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    if isinstance(node, ast.MatchMapping):
        return [node.rest] if node.rest else []
    return []


def _looked_up(node: ast.AST) -> list[str]:
    """The name `node` reads as `globals().get("name")` or `globals()["name"]`, if it does."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
        namespace, key = node.func.value if node.func.attr == "get" else None, node.args[0]
    elif isinstance(node, ast.Subscript):
        namespace, key = node.value, node.slice
    else:
        return []
    is_globals = (
        isinstance(namespace, ast.Call)
        and isinstance(namespace.func, ast.Name)
        and namespace.func.id == "globals"
    )
    name = key.value if isinstance(key, ast.Constant) else None
    if is_globals and isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name):
        return [name]
    return []


def report_answers(client: NotebookClient, source: str, to: Path) -> None:
    """Write to `to` the reprs the kernel gives of the names the check cell `source` reads (a JSON
    object, by name; a repr longer than MAX_VALUE_CHARS, or a name the kernel lacks, left out)."""
    names = free_names(source)
    if names:
        with contextlib.suppress(OSError):  # then the host finds no answers
            _write(to, json.dumps(ask_kernel(client, names)))


def ask_kernel(client: NotebookClient, names: list[str]) -> dict[str, str]:
    """What the kernel shows of each of `names` (their plain-text reprs, made in the kernel, by
    running nothing but the names themselves), through an empty execute's user_expressions."""
    try:
        assert client.kc is not None
        asked = client.kc.execute(
            "", silent=True, store_history=False, user_expressions={name: name for name in names}
        )
        reply = client.wait_for_reply(asked) or {}
    except Exception:  # nbclient's or the kernel's trouble: no answers
        return {}
    found = reply.get("content", {}).get("user_expressions", {})
    texts = {
        name: found[name].get("data", {}).get("text/plain")
        for name in names
        if isinstance(found.get(name), dict) and found[name].get("status") == "ok"
    }
    return {
        name: text for name, text in texts.items() if isinstance(text, str) and len(text) <= MAX_VALUE_CHARS
    }


def wait_for_host(folder: Path, index: int, patience_s: float = HOST_PATIENCE_S) -> float | None:
    """Say the check cell `index` is reached, and wait for the host to have scored it: the seconds
    waited, or None when the host gave no word within `patience_s`."""
    print(f"{REACHED}{index}", flush=True)
    started = time.monotonic()
    while not (folder / GO.format(index)).exists():
        if time.monotonic() - started >= patience_s:
            return None
        time.sleep(POLL_S)
    return time.monotonic() - started


def save(notebook: nbformat.NotebookNode, out: Path) -> None:
    """Write `out` whole or not at all."""
    _write(out, nbformat.writes(notebook))


def _write(path: Path, text: str) -> None:
    """Write `path` whole or not at all."""
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str]) -> int:
    source, out, limit = Path(argv[0]), Path(argv[1]), float(argv[2])
    notebook = nbformat.read(str(source), as_version=4)
    save(notebook, out)
    execute(notebook, out, limit, frozenset(int(index) for index in argv[3:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
