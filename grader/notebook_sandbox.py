"""Executing a student's notebook in a sandbox: its kernel in a container, its docker commands guarded.

    pack the notebook's folder -> start a sandbox holding it -> load the course's images
    -> serve the guard -> run the notebook in a kernel container -> read what ran
    -> remove the sandbox

The kernel container runs on the host engine like the setup.sh runner (see
grader.runner): no capability, a read-only root file system, the sandbox's CPU
and network, the submission at /submission (the notebook and the executed copy
in its .grader-run folder), and the guard's socket as its DOCKER_HOST, so `!docker run ...`
in a cell reaches the sandbox's engine and nothing else. Graded cells that
did not run (the time limit was reached, the kernel died) get an error output,
so nbgrader gives them no points instead of full marks.
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
import nbformat
from docker.models.containers import Container
from nbformat import NotebookNode

from grader import containers, labels
from grader.baseimages import busybox, debian, notebook_kernel, registry, sandbox_engine
from grader.context import ContextRefused, pack
from grader.grade_setup import SUBMISSION_BYTES
from grader.guard import guard_of
from grader.runner import guarded
from grader.sandbox import INSIDE_VARIABLE, SUBMISSION_DIR, Sandbox, SandboxError

COURSE_IMAGES = (busybox.NAME, debian.NAME, registry.NAME)  # what the notebooks' commands run
KERNEL_MEMORY = "1g"
KERNEL_PIDS = 512
SCRATCH = {"/tmp": "size=256m,mode=1777", "/root": "size=64m,mode=0700"}  # ~: jupyter's runtime folder
RUN_FOLDER = ".grader-run"  # in the submission's volume: the kernel's root file system is read-only
RUN_DIR = f"{SUBMISSION_DIR}/{RUN_FOLDER}"
SOURCE, EXECUTED = f"{RUN_DIR}/notebook.ipynb", f"{RUN_DIR}/executed.ipynb"
GRACE_S = 30  # after the time limit, for the kernel to stop and the last cell to be saved
NOT_RUN = "NotRun"
FAILURES = (ContextRefused, SandboxError, docker.errors.DockerException, OSError)


def execute(
    notebook: NotebookNode,
    folder: Path,
    *,
    name: str,
    host: docker.DockerClient,
    timeout_s: float,
    images: tuple[str, ...] = COURSE_IMAGES,
) -> NotebookNode:
    """`notebook` (the file `name` of `folder`), executed in `folder`, in a sandbox of its own.

    Whatever happens, a notebook comes back: what ran, and an error on every
    graded cell that did not.
    """
    started = time.monotonic()
    try:
        executed = _execute(
            notebook, pack(folder, limit_bytes=SUBMISSION_BYTES, required=name).tar, host, timeout_s, images
        )
    except FAILURES as failed:
        return mark_not_run(notebook, f"The notebook could not be run: {failed}")
    took = time.monotonic() - started
    why = f"the notebook stopped before this cell ran ({took:.0f} s; the time limit is {timeout_s:g} s)"
    return mark_not_run(executed or notebook, f"Not run: {why}.")


def _execute(
    notebook: NotebookNode,
    folder: bytes,
    host: docker.DockerClient,
    timeout_s: float,
    images: tuple[str, ...],
) -> NotebookNode | None:
    run_id = labels.new_run_id()
    with Sandbox(host, sandbox_engine.TAG, run_id=run_id, submission=folder) as sandbox:
        sandbox.load_images(images)
        with guard_of(sandbox) as guard:
            kernel = host.containers.create(
                notebook_kernel.TAG,
                ["python3", "-m", "grader.notebook_run", SOURCE, EXECUTED, f"{timeout_s:g}"],
                name=f"grader-kernel-{run_id}",
                **_kernel_options(sandbox, guard.socket),
            )
            # through the sandbox, which keeps the volume (a tmpfs) mounted while the kernel is stopped
            engine = host.containers.get(sandbox.container_id)
            try:
                notebook_tar = _archive(SOURCE, nbformat.writes(notebook).encode(), owner=sandbox.owner or 0)
                engine.put_archive(SUBMISSION_DIR, notebook_tar)
                kernel.start()
                containers.wait(kernel, timeout_s + GRACE_S)
                return _read(engine, EXECUTED)
            finally:
                kernel.remove(force=True)


def _kernel_options(sandbox: Sandbox, guard_socket: Path) -> dict[str, Any]:
    """A runner's options (see grader.runner.guarded), with room for the kernel's own files."""
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


def _read(container: Container, path: str) -> NotebookNode | None:
    """The notebook at `path` in the (stopped) container, or None when there is none."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.extractfile(Path(path).name)
        if member is None:
            return None
        return nbformat.reads(member.read().decode(), as_version=4)


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
