"""A grading run's own Docker engine: one dockerd in one bounded container.

Everything a submission does (its builds, its containers) happens inside that
engine, so one cgroup bounds its memory, CPU and processes, and one
fixed-size tmpfs bounds its disk. Closing the sandbox removes the container and
its volume, and with them everything the submission made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.volumes import Volume

from grader import labels, leftovers
from grader.text import decode, last_lines

SOCKET_DIR = "/run/sandbox"
SUBMISSION_DIR = "/submission"
PROBE_SOURCE = "/grader/probe"
START_TIMEOUT_S = 60
GUARD_DIR = "/run/guard"  # where containers working on a sandbox's engine find the guard's socket
INSIDE_VARIABLE = "GRADER_INSIDE_SANDBOX"
"""Set (to 1) where the Docker engine at hand is already a sandbox's: in `grader autograde`'s kernels."""


class SandboxError(RuntimeError):
    """The sandbox engine could not be started or used."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandbox (everything of one submission together) may use."""

    memory: str = "3g"
    disk: str = "2g"
    submission_disk: str = "128m"  # under the runner's memory: its tmpfs pages count there
    cpus: float = 1.0
    pids: int = 1024


class Sandbox:
    """A nested Docker engine for one grading run; use it as a context manager."""

    def __init__(
        self,
        host: docker.DockerClient,
        image: str,
        *,
        run_id: str,
        limits: SandboxLimits = SandboxLimits(),
        submission: bytes | None = None,
    ) -> None:
        self.host = host
        self.image = image
        self.run_id = run_id
        self.limits = limits
        self.submission = submission
        self.client: docker.DockerClient | None = None
        self._container: Container | None = None
        self._volume: Volume | None = None
        self._socket_dir: Path | None = None
        self.submission_volume: str | None = None
        self.binds_allowed = False

    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> docker.DockerClient:
        """Start the nested engine and return a client for it."""
        self._require_image()
        self._socket_dir = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-{self.run_id}-"))
        self._volume = self._tmpfs(self.limits.disk)
        mounts = {
            self._volume.name: {"bind": "/var/lib/docker", "mode": "rw"},
            str(self._socket_dir): {"bind": SOCKET_DIR, "mode": "rw"},
        }
        if self.submission is not None:
            self.submission_volume = self._tmpfs(self.limits.submission_disk).name
            mounts[self.submission_volume] = {"bind": SUBMISSION_DIR, "mode": "rw"}
        self._container = self.host.containers.run(
            self.image,
            ["-H", f"unix://{SOCKET_DIR}/docker.sock", "--log-level=error"],
            detach=True,
            name=f"grader-sandbox-{self.run_id}",
            labels=labels.run_labels(self.run_id),
            cap_add=["ALL"],
            cap_drop=["SYS_RESOURCE"],
            security_opt=["seccomp=unconfined", "apparmor=unconfined"],
            mem_limit=self.limits.memory,
            memswap_limit=self.limits.memory,
            nano_cpus=int(self.limits.cpus * 1e9),
            pids_limit=self.limits.pids,
            volumes=mounts,
        )
        if self.submission is not None:
            self._container.put_archive(SUBMISSION_DIR, self.submission)
            self.binds_allowed = self._refuse_symlinks_in_submission()
        self.client = self._wait_for_engine()
        return self.client

    def _refuse_symlinks_in_submission(self) -> bool:
        """Remount the submission folder `nosymfollow` where the sandbox's engine sees it; whether that
        held (Linux 5.10 and later).

        The engine follows symbolic links in a bind mount's source, so a link planted
        in the folder (`ln -s /run/sandbox x`) would hand a container the engine's own
        socket, past the guard; on a `nosymfollow` mount the engine cannot follow it.
        """
        assert self._container is not None
        remount = f"mount -o remount,bind,nosymfollow {SUBMISSION_DIR}"
        command = f"{remount} && grep ' {SUBMISSION_DIR} ' /proc/self/mountinfo"
        code, output = self._container.exec_run(["sh", "-c", command])
        return code == 0 and "nosymfollow" in decode(output)

    @property
    def bind_roots(self) -> tuple[str, ...]:
        """The folders the guard may let a container bind: the submission's, if links there are inert."""
        return (SUBMISSION_DIR,) if self.binds_allowed else ()

    def _tmpfs(self, size: str) -> Volume:
        """A volume of at most `size` bytes, in memory, carrying the run's labels."""
        return self.host.volumes.create(
            driver="local",
            driver_opts={"type": "tmpfs", "device": "tmpfs", "o": f"size={size}"},
            labels=labels.run_labels(self.run_id),
        )

    @property
    def socket(self) -> Path:
        """The nested engine's socket, on the host."""
        assert self._socket_dir is not None, "the sandbox is not started"
        return self._socket_dir / "docker.sock"

    @property
    def container_id(self) -> str:
        assert self._container is not None, "the sandbox is not started"
        return str(self._container.id)

    @property
    def address(self) -> str:
        """The sandbox's IP address on the host: where ports published inside it answer."""
        assert self._container is not None, "the sandbox is not started"
        self._container.reload()
        return str(self._container.attrs["NetworkSettings"]["IPAddress"])

    def _require_image(self) -> None:
        try:
            self.host.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise SandboxError(
                f"The sandbox engine image {self.image} is missing on this machine: "
                "run `grader images prepare`."
            ) from None

    def _wait_for_engine(self) -> docker.DockerClient:
        assert self._container is not None and self._socket_dir is not None
        url = f"unix://{self.socket}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.socket.exists():
                client = docker.DockerClient(base_url=url, timeout=300)
                try:
                    client.ping()
                    return client
                except (docker.errors.APIError, OSError, docker.errors.DockerException):
                    client.close()
            self._container.reload()
            if self._container.status == "exited":
                raise SandboxError(f"The sandbox engine stopped while starting:\n{self._logs()}")
            time.sleep(0.02)
        raise SandboxError(f"The sandbox engine did not answer within {START_TIMEOUT_S} s.")

    def load_images(self, names: tuple[str, ...] | list[str]) -> None:
        """Copy base images from the host engine into the sandbox engine."""
        assert self.client is not None
        for name in names:
            try:
                image = self.host.images.get(name)
            except docker.errors.ImageNotFound:
                raise SandboxError(
                    f"The base image {name} is missing on this machine: run `grader images prepare`."
                ) from None
            self.client.images.load(image.save(named=[name]))

    def kill(self) -> None:
        """Stop everything in the sandbox at once (used when a time limit is reached)."""
        if self._container is not None:
            with contextlib.suppress(docker.errors.APIError):
                self._container.kill()

    def close(self) -> None:
        """Remove the sandbox container, its volume and its socket folder.

        Found by the run's label and name rather than by what `start` kept, so
        that an interrupt halfway through `start` leaves nothing behind either.
        """
        if self.client is not None:
            self.client.close()
            self.client = None
        remove_runs(self.host, {self.run_id})
        self._container = None
        self._volume = None
        self._socket_dir = None

    def _logs(self) -> str:
        assert self._container is not None
        return last_lines(decode(self._container.logs(tail=20)), 20)


def inside() -> bool:
    """Whether the engine at hand is already a grading run's sandbox, where no other can start: the
    variable says so and the engine is reached through a guard's socket, as in `grader autograde`'s
    kernels (the variable alone, set by mistake on a grading host, must not skip the sandbox)."""
    through_guard = os.environ.get("DOCKER_HOST", "").startswith(f"unix://{GUARD_DIR}/")
    return os.environ.get(INSIDE_VARIABLE) == "1" and through_guard


def remove_runs(host: docker.DockerClient, run_ids: Collection[str]) -> None:
    """Remove everything of these grading runs: containers and volumes by label, socket folders."""
    leftovers.remove(host, [item for item in leftovers.find(host, everything=True) if item.run_id in run_ids])
    for run_id in run_ids:
        for folder in Path(tempfile.gettempdir()).glob(f"grader-*-{run_id}-*"):
            shutil.rmtree(folder, ignore_errors=True)
