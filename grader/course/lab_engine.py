"""The course engine: a current Docker engine of the course's own, for `grader lab` and the notebook tests.

    start a sandbox engine (unguarded: it is the student's own) that sees the notebooks' folder at its
    own path -> load the course's images -> start a kernel container in its network namespace
    -> write a kernelspec that runs each notebook's kernel in that container -> remove it all on exit

Where a machine's engine is too old for the course (Debian bookworm's 20.10: no BuildKit frontend
features, no `docker compose` v2), the notebooks run against the sandbox engine image's 26.1 with
buildx and compose v2. It is confined as a sandbox is (capabilities, seccomp, memory, CPU and pids
limits, a network of its own) but reaches the world, as a student's engine does, and runs its
containers without a user namespace, so that a cell's `-v "$PWD/data:/data"` reads and writes the
student's folder as the student's own engine would. The kernel runs as the user who started the lab
(so the files it writes are theirs), with no capability, `no-new-privileges` and a read-only root
file system, in the engine's network namespace: `curl 127.0.0.1:PORT` in a cell reaches a port a
cell's container published. Jupyter on the host talks to it over ZeroMQ's `ipc` transport (Unix
sockets in a runtime folder mounted at its own path in the kernel container), so no port is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from grader.course.notebook_sandbox import COURSE_IMAGES, KERNEL_MEMORY, KERNEL_PIDS, SCRATCH
from grader.host import labels
from grader.host.baseimages import notebook_kernel, sandbox_engine
from grader.sandbox.containers import LOG_CONFIG
from grader.sandbox.paths import ENGINE_DIR, SOCKET_DIR
from grader.sandbox.sandbox import INSIDE_VARIABLE, Sandbox, SandboxError, SandboxLimits

KERNEL_NAME = "python3"  # the course's notebooks ask for it: the course engine's kernelspec takes its place
TRANSPORT = "ipc"  # ZeroMQ over Unix sockets next to the connection file, in the shared runtime folder
LIMITS = SandboxLimits(memory="4g", disk="4g", cpus=float(min(os.cpu_count() or 1, 2)))
"""The engine's: a student's notebooks build and run more than one submission's setup does."""
LAUNCH = 'exec docker exec -i -w "$PWD" "$0" python3 -m ipykernel_launcher -f "$1"'
"""The kernelspec's command: the kernel in the kernel container, in the notebook's folder (Jupyter
starts a kernel there; the folder has the same path in the container)."""


@dataclass(frozen=True)
class CourseEngine:
    """A running course engine: the sandbox, the kernel container, and the folders they share."""

    sandbox: Sandbox
    kernel: Container
    folder: Path  # the notebooks' folder, at its own path in the engine and in the kernel container
    runtime: Path  # Jupyter's runtime folder (connection files, ipc sockets), likewise

    @property
    def kernels(self) -> Path:
        """The folder holding the course engine's kernelspec (`kernels/python3/kernel.json`)."""
        return self.runtime / "kernels"

    @property
    def client(self) -> docker.DockerClient:
        assert self.sandbox.client is not None
        return self.sandbox.client


@contextlib.contextmanager
def course_engine(host: docker.DockerClient, folder: Path) -> Iterator[CourseEngine]:
    """A course engine for the notebooks in `folder`; everything of it removed on exit (Ctrl-C too)."""
    folder, run_id, kernel_image = folder.resolve(), labels.new_run_id(), notebook_kernel.image_tag()
    try:
        host.images.get(kernel_image)
    except docker.errors.ImageNotFound:
        raise SandboxError(f"The image {kernel_image} is missing: run `grader images prepare`.") from None
    with Sandbox(
        host,
        sandbox_engine.chosen(),
        run_id=run_id,
        limits=LIMITS,
        outside=True,
        userns=False,
        folders=[folder],
    ) as sandbox:
        sandbox.load_images(lab_images())
        _socket_at_its_usual_place(host.containers.get(sandbox.container_id))
        # named like the sandbox's socket folder, so closing the sandbox removes it too
        runtime = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-{run_id}-lab-"))
        kernel = host.containers.run(
            kernel_image,
            ["sleep", "infinity"],
            detach=True,
            init=True,  # reaps what the kernels' `!` commands leave
            name=f"grader-lab-{run_id}",
            **kernel_options(sandbox, folder, runtime),
        )
        engine = CourseEngine(sandbox, kernel, folder, runtime)
        write_kernelspec(engine)
        yield engine


def lab_images() -> tuple[str, ...]:
    """What the notebooks' commands run, and the sandbox engine image, whose docker client notebook 09
    runs in a container (`grader images prepare` made it on the student's machine; here it is loaded)."""
    return (*COURSE_IMAGES, sandbox_engine.chosen())


def kernel_options(sandbox: Sandbox, folder: Path, runtime: Path) -> dict[str, Any]:
    """The kernel container's options: the engine's network and socket, the two folders, confined."""
    user = (os.getuid(), os.getgid())
    return {
        "user": f"{user[0]}:{user[1]}",
        "group_add": socket_groups(sandbox.socket),
        "labels": labels.run_labels(sandbox.run_id),
        "environment": {
            "HOME": "/root",
            "JPY_PARENT_PID": "1",  # no parent to poll, and no banner for a kernel run by hand
            "DOCKER_HOST": f"unix://{ENGINE_DIR}/{sandbox.socket.name}",
            INSIDE_VARIABLE: "1",  # check cells build Dockerfiles on this engine, not in a sandbox
        },
        "network_mode": f"container:{sandbox.container_id}",
        "volumes": {
            str(sandbox.socket.parent): {"bind": ENGINE_DIR, "mode": "rw"},
            str(folder): {"bind": str(folder), "mode": "rw"},
            str(runtime): {"bind": str(runtime), "mode": "rw"},
        },
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "read_only": True,
        "tmpfs": {path: f"{options},uid={user[0]},gid={user[1]}" for path, options in SCRATCH.items()},
        "mem_limit": KERNEL_MEMORY,
        "memswap_limit": KERNEL_MEMORY,
        "pids_limit": KERNEL_PIDS,
        "log_config": LOG_CONFIG,
    }


def socket_groups(socket: Path) -> list[str]:
    """The group the kernel's user needs to open the engine's socket (none when it is root)."""
    found = socket.stat()
    return [str(found.st_gid)] if os.getuid() != 0 and found.st_mode & stat.S_IRWXG else []


def kernelspec(engine: CourseEngine) -> dict[str, Any]:
    """A kernelspec that runs the kernel in the course engine's kernel container (with `docker exec`)."""
    return {
        "argv": ["sh", "-c", LAUNCH, str(engine.kernel.name), "{connection_file}"],
        "display_name": "Python 3 (course engine)",
        "language": "python",
        "interrupt_mode": "message",  # a signal to `docker exec` would not reach the kernel
        "metadata": {"debugger": False},
    }


def write_kernelspec(engine: CourseEngine) -> Path:
    """Write the kernelspec into the engine's `kernels` folder; its own folder."""
    where = engine.kernels / KERNEL_NAME
    where.mkdir(parents=True, exist_ok=True)
    (where / "kernel.json").write_text(json.dumps(kernelspec(engine), indent=1))
    return where


def kernel_manager(engine: CourseEngine, kind: type[KernelManager] = KernelManager) -> KernelManager:
    """A kernel manager that starts a kernel on the course engine, as JupyterLab does with the runtime
    folder and transport `grader lab` gives it. nbclient's `km` must be an AsyncKernelManager (`kind`):
    a blocking client's waits stop nbclient's event loop, and a reply can then go unread."""
    return kind(
        kernel_name=KERNEL_NAME,
        transport=TRANSPORT,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(engine.kernels)]),
        connection_file=str(engine.runtime / f"kernel-{uuid.uuid4()}.json"),
    )


def _socket_at_its_usual_place(engine: Container) -> None:
    """The engine's socket at /var/run/docker.sock in its own file system too, where a student's
    engine has it: `-v /var/run/docker.sock:/var/run/docker.sock` (09's client in a container) binds it."""
    done = engine.exec_run(["ln", "-sf", f"{SOCKET_DIR}/docker.sock", "/var/run/docker.sock"])
    if done.exit_code != 0:
        raise SandboxError(f"The course engine's socket could not be linked: {done.output!r}")
