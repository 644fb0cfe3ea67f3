"""Scoring an autograded notebook's check cells on the host, against its sandbox's engine.

    the gradebook's source cells -> which graded cells are check cells
    -> the notebook runs in its kernel (grader.course.notebook_sandbox), which stops before each
       check cell until the host has scored it: the host runs the cell's own code from the
       gradebook, with `check` and `task` looking at the sandbox's engine as it is then
    -> that Score is the cell's output and its points; of the executed notebook the host keeps
       only the other cells' outputs

A check cell is a locked, graded code cell of the instructor's whose last statement calls `check`
or `task` (grader.course.notebook). Its code is read from nbgrader's gradebook (the instructor's source),
never from the submission, and runs in the grader's process with a copy of the notebook's folder
as its working directory. The host takes from the kernel's side *when* a check cell is reached
(a forged signal can only make the host run the real checks) and the student's answers: the
reprs, made in the kernel, of the names the cell's code reads but does not define (09's
`init_pid`; grader.course.notebook_run.free_names of the gradebook's source, never of the
kernel's). Each is parsed as a small literal (`answer`), never run, imported or unpickled, and
bound to its name; anything else leaves the name undefined. A forged answer is at most a wrong
one: the checks still compare it with the engine. Nothing else the kernel printed, returned or
wrote into the executed notebook reaches a check cell's score, and a check cell the run never
reached scores 0, whatever the engine holds.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker
import docker.errors
import nbformat
from docker.models.containers import Container
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry

from grader.course.notebook import Sandboxed, Score, sandboxed
from grader.course.notebook_run import MAX_NAMES, MAX_VALUE_CHARS, free_names

CHECK_CALLS = frozenset({"check", "task"})
FOLDER_BYTES = 256 * 1024 * 1024  # the copy of a notebook's folder (its volume holds 128 MB)
NOT_SCORED = "NotScored"
ANSWERS_BYTES = MAX_NAMES * (6 * MAX_VALUE_CHARS + 256)  # a JSON object of MAX_NAMES escaped reprs
ANSWER_DEPTH, ANSWER_ITEMS = 3, 100  # how deep a list/tuple/dict answer nests, how many items each holds
SCALARS = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class CheckCell:
    """A graded cell the host scores: its nbgrader grade_id and the instructor's code."""

    grade_id: str
    source: str


def check_cells(db_url: str, notebook: str, assignment: str) -> list[CheckCell]:
    """The notebook's check cells, as the gradebook has them from the instructor's source."""
    with Gradebook(db_url) as gradebook:
        try:
            found = gradebook.find_notebook(notebook, assignment)
        except MissingEntry:
            return []
        graded = {cell.name for cell in found.grade_cells if cell.cell_type == "code"}
        return [
            CheckCell(cell.name, cell.source)
            for cell in found.source_cells
            if cell.name in graded and cell.locked and calls_a_check(cell.source)
        ]


def calls_a_check(source: str) -> bool:
    """Whether the cell's last statement is a call of `check(...)` or `task(...)`."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)):
        return False
    function = last.value.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in CHECK_CALLS


def merge(restored: NotebookNode, executed: NotebookNode | None) -> NotebookNode:
    """`restored` (nbgrader's, before the run: the instructor's locked cells, their metadata) with
    each cell's outputs and execution count from the executed notebook, where that has the same
    cell at the same place; other cells count as not run. The kernel wrote `executed`: nothing of
    it but outputs and counts is kept, and those are never a check cell's score."""
    merged = copy.deepcopy(restored)
    cells = executed.get("cells", []) if isinstance(executed, dict) else []
    same = len(cells) == len(merged.cells)
    for index, cell in enumerate(merged.cells):
        if cell.cell_type != "code":
            continue
        ran = cells[index] if same and isinstance(cells[index], dict) else {}
        kept = (ran.get("cell_type"), ran.get("source")) == ("code", cell.source)
        count = ran.get("execution_count") if kept else None
        cell.execution_count = count if isinstance(count, int) else None
        cell.outputs = ran.get("outputs", []) if kept and isinstance(ran.get("outputs"), list) else []
    return merged


def with_scores(notebook: NotebookNode, outputs: dict[int, list[NotebookNode]], checks: set[int]) -> None:
    """Give the check cells of `notebook` (their indices: `checks`) the host's `outputs`, by index;
    those not scored, none and no execution count (not run)."""
    for index in checks:
        cell = notebook.cells[index]
        cell.outputs = outputs.get(index, [])
        cell.execution_count = (cell.execution_count or index + 1) if index in outputs else None


def check_indices(notebook: NotebookNode, cells: list[CheckCell]) -> dict[int, CheckCell]:
    """Where the check `cells` are in `notebook` (nbgrader's, restored), by index."""
    by_id = {cell.grade_id: cell for cell in cells}
    return {
        index: by_id[grade_id(cell)]
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and grade_id(cell) in by_id
    }


def grade_id(cell: NotebookNode) -> str:
    """The cell's nbgrader grade_id, or ""."""
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def run(source: str, where: Sandboxed, said: Mapping[str, str] | None = None) -> list[NotebookNode]:
    """Run a check cell's code on the host against `where`; its outputs: the Score it ends with.
    The names it reads from the student's kernel (an answer such as `init_pid`) are bound to what
    the kernel `said` of them, where that is a literal (`answers`); the others are undefined."""
    tree = ast.parse(source)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "a check cell ends with check(...) or task(...)"
    namespace: dict[str, object] = {**answers(source, said or {}), "__name__": "__check_cell__"}
    try:
        with sandboxed(where), contextlib.chdir(where.folder), contextlib.redirect_stdout(io.StringIO()):
            exec(
                compile(tree, "<check cell>", "exec"), namespace
            )  # the instructor's code, from the gradebook
            value = eval(compile(ast.Expression(last.value), "<check cell>", "eval"), namespace)
    except Exception as failed:  # the course's own code failed: no points, and say why
        return [not_scored(f"The grader could not score this cell: {type(failed).__name__}: {failed}")]
    if not isinstance(value, Score):
        return [not_scored(f"The grader could not score this cell: it gave {type(value).__name__}")]
    return [
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": repr(value), "text/markdown": value._repr_markdown_()},
            execution_count=None,
        )
    ]


def answers(source: str, said: Mapping[str, str]) -> dict[str, object]:
    """The values of the names the check cell `source` (the gradebook's) reads but does not
    define, from the reprs the kernel `said` of them: those that are `answer`s."""
    found = {name: answer(said.get(name)) for name in free_names(source)}
    return {name: value for name, value in found.items() if value is not NOT_AN_ANSWER}


NOT_AN_ANSWER = object()


def answer(text: object) -> object:
    """The value of `text`, a repr the kernel made, if it is a literal of SCALARS, or a list,
    tuple or dict of them (ANSWER_DEPTH deep, ANSWER_ITEMS long at most) of at most
    MAX_VALUE_CHARS characters; else NOT_AN_ANSWER. Parsed, never run."""
    if not isinstance(text, str) or len(text) > MAX_VALUE_CHARS:
        return NOT_AN_ANSWER
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_AN_ANSWER
    return value if _plain(value, ANSWER_DEPTH) else NOT_AN_ANSWER


def _plain(value: object, depth: int) -> bool:
    """Whether `value` is one of SCALARS, or a small container of them at most `depth` deep."""
    if isinstance(value, SCALARS):
        return True
    if depth == 0 or not isinstance(value, (list, tuple, dict)) or len(value) > ANSWER_ITEMS:
        return False
    if isinstance(value, dict):
        return all(_plain(key, 0) and _plain(item, depth - 1) for key, item in value.items())
    return all(_plain(item, depth - 1) for item in value)


def read_answers(path: Path) -> dict[str, str]:
    """The reprs the kernel wrote to `path` (grader.course.notebook_run.report_answers), by name:
    {} unless it is a plain file of at most ANSWERS_BYTES holding a JSON object."""
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        with path.open("rb") as handle:
            data = handle.read(ANSWERS_BYTES + 1)
        said = json.loads(data) if len(data) <= ANSWERS_BYTES else None
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(said, dict):
        return {}
    return {name: text for name, text in said.items() if isinstance(text, str)}


def not_scored(reason: str) -> NotebookNode:
    """An error output saying `reason` (nbgrader gives the cell no points)."""
    output: NotebookNode = nbformat.v4.new_output(
        "error", ename=NOT_SCORED, evalue=reason, traceback=[reason]
    )
    return output


@contextlib.contextmanager
def folder_copy(container: Container, path: str) -> Iterator[Path]:
    """A temporary copy on the host of the folder `path` of a (sandbox) container: its folders and
    regular files only, at most FOLDER_BYTES.

    No link is ever made on the host. The student's kernel may still be running while the engine
    walks the folder, and can swap a folder for a link under the walk, so the tar may hold paths
    through links; with no link made here, every path of the copy stays inside it."""
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as scratch:
        root = Path(scratch) / "folder"
        root.mkdir()
        archive = Path(scratch) / "folder.tar"
        _download(container, path, archive)
        with contextlib.suppress(tarfile.TarError, EOFError, OSError), tarfile.open(archive) as tar:
            for member in tar:
                _extract(tar, member, PurePosixPath(path).name, root)
        archive.unlink()
        yield root


def _download(container: Container, path: str, to: Path) -> None:
    """Write the engine's tar of `path` to the file `to`, up to FOLDER_BYTES (else what came)."""
    with contextlib.suppress(docker.errors.NotFound), to.open("wb") as out:
        stream, _ = container.get_archive(path)
        for chunk in stream:
            if out.tell() + len(chunk) > FOLDER_BYTES:
                break
            out.write(chunk)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, top: str, root: Path) -> None:
    """Extract `member` (named top/...) under `root` if it is a folder or a regular file; links
    (symbolic or hard) and special files are left out, and the data filter has the last word."""
    inner = _inside(member.name, top)
    if inner is None or not (member.isdir() or member.isfile()):
        return
    member.name = inner
    with contextlib.suppress(tarfile.TarError, OSError):
        tar.extract(member, root, filter="data")


def _inside(name: str, top: str) -> str | None:
    """`name` (top/a/b) relative to `top` (a/b), or None for `top` itself, a name outside it, or
    one with a `..` step."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != top or ".." in parts:
        return None
    return str(PurePosixPath(*parts[1:]))
