"""Executing a student's notebook in a sandbox: its kernel in a container, its docker commands guarded.

    pack the notebook's folder -> start a sandbox holding it -> load the course's images
    -> serve the guard -> run the notebook in a kernel container -> read what ran
    -> score the check cells that ran, on the host (grader.course.notebook_score) -> remove the sandbox

The kernel container runs on the host engine like the setup.sh runner (see
grader.sandbox.runner): no capability, a read-only root file system, the sandbox's CPU
and network, the submission at /submission (the notebook and the executed copy
in its .grader-run folder), and the guard's socket as its DOCKER_HOST, so `!docker run ...`
in a cell reaches the sandbox's engine and nothing else. Of what the kernel
wrote, only outputs and execution counts are kept, on the cells nbgrader gave;
a check cell's output is the host's score, for which the host reads the
student's answers the runner wrote next to the executed copy as literal data.
Graded cells that did not run (the time limit was reached, the kernel died) get
an error output, so nbgrader gives them no points instead of full marks.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import nbformat
import requests
from docker.models.containers import Container
from nbformat import NotebookNode

from grader.course import notebook_score
from grader.course.notebook import Sandboxed
from grader.course.notebook_run import ANSWERS, GO, POLL_S, REACHED
from grader.course.notebook_score import CheckCell
from grader.grading.grade_setup import SUBMISSION_BYTES
from grader.host import labels
from grader.host.baseimages import busybox, debian, notebook_kernel, registry, sandbox_engine
from grader.sandbox.context import ContextRefused, pack
from grader.sandbox.guard import guard_of
from grader.sandbox.paths import SUBMISSION_DIR
from grader.sandbox.runner import guarded
from grader.sandbox.sandbox import INSIDE_VARIABLE, Sandbox, SandboxError

COURSE_IMAGES = (busybox.NAME, debian.NAME, registry.NAME)  # what the notebooks' commands run
KERNEL_MEMORY = "1g"
KERNEL_PIDS = 512
SCRATCH = {"/tmp": "size=256m,mode=1777", "/root": "size=64m,mode=0700"}  # ~: jupyter's runtime folder
RUN_FOLDER = ".grader-run"  # in the submission's volume: the kernel's root file system is read-only
RUN_DIR = f"{SUBMISSION_DIR}/{RUN_FOLDER}"
SOURCE, EXECUTED = f"{RUN_DIR}/notebook.ipynb", f"{RUN_DIR}/executed.ipynb"
GRACE_S = 30  # after the time limit, for the kernel to stop and the last cell to be saved
NOT_RUN = "NotRun"
TAIL_LINES = 3  # of the kernel's output, where it says which check cell it reached
FAILURES = (ContextRefused, SandboxError, docker.errors.DockerException, OSError)


def execute(
    notebook: NotebookNode,
    folder: Path,
    *,
    name: str,
    host: docker.DockerClient,
    timeout_s: float,
    images: tuple[str, ...] = COURSE_IMAGES,
    checks: tuple[CheckCell, ...] = (),
) -> NotebookNode:
    """`notebook` (the file `name` of `folder`), executed in `folder`, in a sandbox of its own, its
    `checks` scored by the host against the sandbox's engine once the kernel has stopped.

    Whatever happens, a notebook comes back: what ran, and an error on every
    graded cell that did not.
    """
    started = time.monotonic()
    try:
        packed = pack(folder, limit_bytes=SUBMISSION_BYTES, required=name).tar
        executed = _execute(notebook, packed, host, timeout_s, images, checks)
    except FAILURES as failed:
        return mark_not_run(notebook, f"The notebook could not be run: {failed}")
    took = time.monotonic() - started
    why = f"the notebook stopped before this cell ran ({took:.0f} s; the time limit is {timeout_s:g} s)"
    return mark_not_run(executed, f"Not run: {why}.")


def _execute(
    notebook: NotebookNode,
    folder: bytes,
    host: docker.DockerClient,
    timeout_s: float,
    images: tuple[str, ...],
    checks: tuple[CheckCell, ...],
) -> NotebookNode:
    """What ran of `notebook` (grader.course.notebook_score.merge), its check cells scored by the host."""
    run_id = labels.new_run_id()
    with Sandbox(host, sandbox_engine.chosen(), run_id=run_id, submission=folder) as sandbox:
        assert sandbox.client is not None
        base_images = sandbox.load_images(images)
        # through the sandbox, which keeps the volume (a tmpfs) mounted while the kernel is stopped
        engine = host.containers.get(sandbox.container_id)
        at = notebook_score.check_indices(notebook, list(checks))
        scores: dict[int, list[NotebookNode]] = {}

        def score(index: int) -> None:
            with notebook_score.folder_copy(engine, SUBMISSION_DIR) as copy:
                where = Sandboxed(sandbox.client, sandbox.address, copy, base_images, sandbox)
                said = notebook_score.read_answers(copy / RUN_FOLDER / ANSWERS.format(index))
                scores[index] = notebook_score.run(at[index].source, where, said)

        with guard_of(sandbox) as guard:
            kernel = _kernel(host, sandbox, guard.socket, timeout_s, sorted(at))
            try:
                notebook_tar = _archive(SOURCE, nbformat.writes(notebook).encode(), owner=sandbox.owner or 0)
                engine.put_archive(SUBMISSION_DIR, notebook_tar)
                kernel.start()
                _serve(kernel, engine, timeout_s + GRACE_S, set(at), score, owner=sandbox.owner or 0)
                executed = _read(engine, EXECUTED)
            finally:
                kernel.remove(force=True)
        merged = notebook_score.merge(notebook, executed)
        notebook_score.with_scores(merged, scores, set(at))
        return merged


def _kernel(
    host: docker.DockerClient, sandbox: Sandbox, guard_socket: Path, timeout_s: float, checks: list[int]
) -> Container:
    """The kernel container (created, not started) that runs the notebook, stopping before `checks`."""
    return host.containers.create(
        notebook_kernel.image_tag(),
        [
            "python3",
            "-m",
            "grader.course.notebook_run",
            SOURCE,
            EXECUTED,
            f"{timeout_s:g}",
            *map(str, checks),
        ],
        name=f"grader-kernel-{sandbox.run_id}",
        **_kernel_options(sandbox, guard_socket),
    )


def _serve(
    kernel: Container,
    engine: Container,
    limit_s: float,
    checks: set[int],
    score: Callable[[int], None],
    *,
    owner: int,
) -> None:
    """Until the kernel stops (killed at `limit_s`, not counting the time scoring took): each time it
    says it reached a check cell it was given, and that cell is not scored yet, `score` it, then
    let the kernel go on."""
    deadline = time.monotonic() + limit_s
    scored: set[int] = set()
    while True:
        index = _reached(kernel)
        if index in checks and index not in scored:
            scored.add(index)
            started = time.monotonic()
            with _paused(kernel):
                score(index)
            go = _archive(f"{RUN_DIR}/{GO.format(index)}", b"", owner=owner)  # the folder stays the kernel's
            engine.put_archive(SUBMISSION_DIR, go)
            deadline += time.monotonic() - started
        if _stopped(kernel, POLL_S):
            return
        if time.monotonic() >= deadline:
            kernel.kill()
            return


@contextlib.contextmanager
def _paused(kernel: Container) -> Iterator[None]:
    """The kernel frozen while the host scores a cell: nothing the student started in it (a process
    left running by an earlier cell) can change the folder being copied or reach the guard meanwhile."""
    try:
        kernel.pause()
    except docker.errors.APIError:  # it stopped meanwhile: nothing of it runs
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(docker.errors.APIError):
            kernel.unpause()


def _stopped(kernel: Container, wait_s: float) -> bool:
    """Whether the kernel container has stopped, waiting up to `wait_s` for it to."""
    try:
        kernel.wait(timeout=wait_s)
    except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
        return False
    return True


def _kernel_options(sandbox: Sandbox, guard_socket: Path) -> dict[str, Any]:
    """A runner's options (see grader.sandbox.runner.guarded), with room for the kernel's own files."""
    return guarded(
        sandbox,
        guard_socket,
        memory=KERNEL_MEMORY,
        pids=KERNEL_PIDS,
        environment={INSIDE_VARIABLE: "1"},  # check cells build on this sandbox's engine
        scratch=SCRATCH,
    )


def _archive(path: str, data: bytes, *, owner: int) -> bytes:
    """A tar holding `data` at `path`, relative to the submission's folder, its folder included, both
    `owner`'s (uid and gid): the kernel's user writes the executed notebook there."""
    relative = Path(path).relative_to(SUBMISSION_DIR)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(str(relative.parent))
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        info = tarfile.TarInfo(str(relative))
        info.size, info.mode = len(data), 0o644
        for member in (folder, info):
            member.uid = member.gid = owner
        tar.addfile(folder)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _reached(kernel: Container) -> int | None:
    """The check cell the kernel last said it reached, from the end of its output (anything in the
    container may print there: a forged line only makes the host score a cell, with the checks)."""
    lines = kernel.logs(stdout=True, stderr=False, tail=TAIL_LINES).decode(errors="replace").splitlines()
    said = [line.removeprefix(REACHED).strip() for line in lines if line.startswith(REACHED)]
    return int(said[-1]) if said and re.fullmatch(r"[0-9]{1,9}", said[-1]) else None


def _read(container: Container, path: str) -> NotebookNode | None:
    """The notebook at `path` in the (stopped) container, or None when there is none."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile(Path(path).name)
            return None if member is None else nbformat.reads(member.read().decode(), as_version=4)
    except (tarfile.TarError, KeyError, ValueError, TypeError, AttributeError):  # the kernel wrote it
        return None


def is_graded_code(cell: NotebookNode) -> bool:
    """A cell nbgrader scores from its outputs: an autograder test cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def mark_not_run(notebook: NotebookNode, reason: str) -> NotebookNode:
    """Give each graded cell that did not run an error output saying `reason` (nbgrader: no points)."""
    for cell in notebook.cells:
        if is_graded_code(cell) and cell.get("execution_count") is None:
            cell.outputs = [
                nbformat.v4.new_output(
                    "error", ename=NOT_RUN, evalue=reason, traceback=[f"{NOT_RUN}: {reason}"]
                )
            ]
    return notebook
