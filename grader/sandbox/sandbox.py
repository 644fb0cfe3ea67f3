"""A grading run's own Docker engine: one dockerd in one bounded container.

Everything a submission does (its builds, its containers) happens inside that
engine, so one cgroup bounds its memory, CPU and processes, and one
fixed-size tmpfs bounds its disk. The container holds only the capabilities
and system calls a nested engine needs, and sits alone on a network of its
own: internal (no route off the machine) unless the exercise needs one, never
open to other sandboxes, and, by a firewall rule on the host, never to the
host's own services. Closing the sandbox removes the container, its volumes
and its network, and with them everything the submission made.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.volumes import Volume

from grader.errors import SetupError
from grader.host import labels, leftovers
from grader.host.baseimages import sandbox_engine
from grader.host.userns import REMAPPED_ROOT, userns_support
from grader.sandbox import host_firewall, stores
from grader.sandbox.host_firewall import BRIDGE_PREFIX
from grader.sandbox.paths import ENGINE_DIR, GUARD_DIR, SOCKET_DIR, SUBMISSION_DIR
from grader.text import decode, last_lines

START_TIMEOUT_S = 60
CAPABILITIES = (
    *("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP"),
    *("NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"),
    *("SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"),
)
"""The sandbox's capabilities: Docker's default set, which the nested engine hands its containers (it can
give none it lacks), SYS_ADMIN (namespaces, mounts, cgroups), NET_ADMIN (bridges, iptables) and
SYS_PTRACE (`docker exec` into a container whose process runs as another user opens its namespaces)."""
SECCOMP_PROFILE = Path(__file__).resolve().parents[1] / "data" / "sandbox-seccomp.json"
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "2"}}
NO_IPV6 = {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"}
PRIVILEGED_PORTS = {"net.ipv4.ip_unprivileged_port_start": "1024"}
"""Linux's own default, which Docker lowers to 0 in a container's network namespace: in the sandbox's,
which runners and kernels share (no capability), none of them may then listen on its port 53, where an
offline sandbox's engine asks for names (grader/data/sandbox-entrypoint.sh), nor below 1024."""
HAND_OVER_FAILED = 99  # the exit code of the sandbox's command that hands the submission over
INSIDE_VARIABLE = "GRADER_INSIDE_SANDBOX"
"""Set (to 1) where the Docker engine at hand is already a sandbox's: in `grader autograde`'s kernels."""


class SandboxError(SetupError, RuntimeError):
    """The sandbox engine could not be started or used."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandbox (everything of one submission together) may use."""

    memory: str = "3g"
    disk: str = "2g"
    submission_disk: str = "128m"  # under the runner's memory: its tmpfs pages count there
    cpus: float = 1.0
    pids: int = 1024

    @property
    def workload_pids(self) -> int:
        """What the nested engine's containers and BuildKit's RUN steps may have at once, together: half
        of `pids`, the rest the engine's, so during a fork bomb it can still stop and remove containers
        (`grader/data/sandbox-entrypoint.sh`)."""
        return self.pids // 2

    @property
    def build_pids(self) -> int:
        """What BuildKit's RUN steps may have at once, a part of `workload_pids`: during a fork bomb in a
        build, containers can still start."""
        return self.pids // 4


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
        outside: bool = False,
        userns: bool | None = None,
        image_store: stores.ImageStore | None = None,
        folders: Collection[Path] = (),
    ) -> None:
        """`outside`: whether the sandbox may reach the world beyond this machine (an exercise that
        declares network); without it the sandbox has no route off its own network. `userns`: the
        nested engine runs its containers in a user namespace (`--userns-remap`), their root
        REMAPPED_ROOT on the host; None (the default) where the machine allows it (`userns_support`)
        and the store is the classic one (`stores`: BuildKit's RUN fails remapped on containerd's).
        `image_store`: the nested engine's, `stores.default()` unless given. `folders`: host folders the
        nested engine sees at their own paths, read-write (the course engine's notebooks, for binds)."""
        self.host = host
        self.outside = outside
        self.userns = userns
        self.image_store = image_store or stores.default()
        self.image = image
        self.run_id = run_id
        self.limits = limits
        self.submission = submission
        self.folders = tuple(folders)
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
        if self.userns is None:
            self.userns = self.image_store == "classic" and not userns_support(self.host)
        self._socket_dir = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-{self.run_id}-"))
        self._volume = self._tmpfs(self.limits.disk)
        confinement = self._confinement()
        mounts = {
            self._volume.name: {"bind": "/var/lib/docker", "mode": "rw"},
            str(self._socket_dir): {"bind": SOCKET_DIR, "mode": "rw"},
            **{str(folder): {"bind": str(folder), "mode": "rw"} for folder in self.folders},
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
            environment={
                "SANDBOX_OFFLINE": str(int(not self.outside)),
                "SANDBOX_USERNS": str(REMAPPED_ROOT if self.userns else 0),
                "SANDBOX_IMAGE_STORE": self.image_store,
                "SANDBOX_WORKLOAD_PIDS": str(self.limits.workload_pids),
                "SANDBOX_BUILD_PIDS": str(self.limits.build_pids),
            },
            **confinement,
            mem_limit=self.limits.memory,
            memswap_limit=self.limits.memory,
            nano_cpus=int(self.limits.cpus * 1e9),
            pids_limit=self.limits.pids,
            volumes=mounts,
            log_config=LOG_CONFIG,
        )
        if self.submission is not None:
            self._container.put_archive(SUBMISSION_DIR, self.submission)
            self.binds_allowed = self._prepare_submission()
        self.client = self._wait_for_engine()
        if self.userns and "name=userns" not in self.client.info().get("SecurityOptions", []):
            raise SandboxError("The sandbox engine did not start its user namespace (--userns-remap).")
        if stores.in_use(self.client.info()) != self.image_store:
            raise SandboxError(f"The sandbox engine did not start with the {self.image_store} image store.")
        return self.client

    @property
    def owner(self) -> int | None:
        """The host uid and gid (one number) of a nested container's root, to whom the submission, the
        runner and the guard's socket are handed: None when it is root (no user namespace)."""
        return REMAPPED_ROOT if self.userns else None

    def _prepare_submission(self) -> bool:
        """Hand the submission to the nested containers' root and remount it `nosymfollow` where the
        sandbox's engine sees it; whether the remount held (Linux 5.10 and later).

        The engine follows symbolic links in a bind mount's source, so a link planted
        in the folder (`ln -s /run/sandbox x`) would hand a container the engine's own
        socket, past the guard; on a `nosymfollow` mount the engine cannot follow it.
        Under a user namespace the folder and all in it become REMAPPED_ROOT's (links
        themselves, never what they point to), so a bind of it works as on a student's
        machine while nothing else of the sandbox is that user's to write.
        """
        assert self._container is not None
        hand_over = (
            ""
            if self.owner is None
            else f"chown -R -h {self.owner}:{self.owner} {SUBMISSION_DIR} || exit {HAND_OVER_FAILED}; "
        )
        remount = f"mount -o remount,bind,nosymfollow {SUBMISSION_DIR}"
        command = f"{hand_over}{remount} && grep ' {SUBMISSION_DIR} ' /proc/self/mountinfo"
        code, output = self._container.exec_run(["sh", "-c", command])
        if code == HAND_OVER_FAILED:
            raise SandboxError(f"The submission could not be handed to the sandbox's user:\n{decode(output)}")
        return code == 0 and "nosymfollow" in decode(output)

    @property
    def bind_roots(self) -> tuple[str, ...]:
        """The folders the guard may let a container bind: the submission's, if links there are inert."""
        return (SUBMISSION_DIR,) if self.binds_allowed else ()

    def _confinement(self) -> dict[str, Any]:
        """The sandbox container's options that confine it: its own network, capabilities, seccomp."""
        return {
            "network": self._network(),
            "sysctls": {**NO_IPV6, **PRIVILEGED_PORTS},
            "cap_drop": ["ALL"],
            "cap_add": list(CAPABILITIES),
            "security_opt": [f"seccomp={SECCOMP_PROFILE.read_text()}", "apparmor=unconfined"],
        }

    def _network(self) -> str:
        """A network for this sandbox alone, with no route off the machine unless `outside`."""
        guard_the_host(self.host, self.image)
        name = f"grader-sandbox-{self.run_id}"
        self.host.networks.create(
            name,
            driver="bridge",
            internal=not self.outside,
            labels=labels.run_labels(self.run_id),
            options={"com.docker.network.bridge.name": f"{BRIDGE_PREFIX}{self.run_id}"[:15]},
        )
        return name

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
        networks = self._container.attrs["NetworkSettings"]["Networks"]
        return str(networks[self._container.attrs["HostConfig"]["NetworkMode"]]["IPAddress"])

    def _require_image(self) -> None:
        try:
            self.host.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise SandboxError(
                f"The sandbox engine image {self.image} is missing on this machine: "
                f"run `{sandbox_engine.prepare_command(self.image)}`."
            ) from None

    def _wait_for_engine(self) -> docker.DockerClient:
        assert self._container is not None and self._socket_dir is not None
        url = f"unix://{self.socket}"
        started = time.monotonic()
        for attempt in itertools.count():
            if self.socket.exists():
                try:  # the socket is there before the engine listens: connecting may be refused
                    client = docker.DockerClient(base_url=url, timeout=300)
                except (OSError, docker.errors.DockerException):
                    client = None
                if client is not None and _answers(client):
                    return client
            if attempt % 10 == 9:  # asking the host engine costs it more than a look at the socket
                self._stopped_while_starting()
            if time.monotonic() - started > START_TIMEOUT_S:
                break
            time.sleep(0.02)
        raise SandboxError(f"The sandbox engine did not answer within {START_TIMEOUT_S} s.")

    def _stopped_while_starting(self) -> None:
        """Raise, with its last lines, if the sandbox's engine has stopped."""
        assert self._container is not None
        self._container.reload()
        if self._container.status == "exited":
            logs = last_lines(decode(self._container.logs(tail=20)), 20)
            raise SandboxError(f"The sandbox engine stopped while starting:\n{logs}")

    def load_images(self, names: tuple[str, ...] | list[str]) -> dict[str, str]:
        """Copy base images from the host engine into the sandbox engine; each name's image ID there.

        A tag in the sandbox is the student's to move (`docker tag mine busybox:latest`), an ID is
        not, so helpers and questions about "the base image" go by these IDs. `save | load` keeps
        an image's ID on the classic store (checked); the containerd store gives it another.
        """
        assert self.client is not None
        loaded: dict[str, str] = {}
        for name in names:
            try:
                image = self.host.images.get(name)
            except docker.errors.ImageNotFound:
                raise SandboxError(
                    f"The base image {name} is missing on this machine: run `grader images prepare`."
                ) from None
            self.client.images.load(image.save(named=[name]))
            inside = str(self.client.images.get(name).id)
            if inside != image.id and self.image_store == "classic":
                raise SandboxError(f"The base image {name} changed its ID on the way into the sandbox.")
            loaded[name] = inside
        return loaded

    def kill(self) -> None:
        """Stop everything in the sandbox at once (used when a time limit is reached)."""
        if self._container is not None:
            with contextlib.suppress(docker.errors.APIError):
                self._container.kill()

    def close(self) -> None:
        """Remove the sandbox container, its volume and its socket folder: found by the run's label and
        name rather than by what `start` kept, so an interrupt halfway through `start` leaves nothing."""
        if self.client is not None:
            self.client.close()
            self.client = None
        remove_runs(self.host, {self.run_id})
        self._container, self._volume, self._socket_dir = None, None, None


def _answers(client: docker.DockerClient) -> bool:
    """Whether the engine behind `client` answers; the client is closed when it does not."""
    try:
        client.ping()
        return True
    except (docker.errors.APIError, OSError, docker.errors.DockerException):
        client.close()
        return False


def inside() -> bool:
    """Whether the engine at hand is already a sandbox, where no other can start: the variable says so
    and the engine is reached through a guard's socket (`grader autograde`'s kernels) or the course
    engine's (`grader lab`'s); the variable alone, set by mistake on a grading host, is not enough."""
    at = os.environ.get("DOCKER_HOST", "").startswith((f"unix://{GUARD_DIR}/", f"unix://{ENGINE_DIR}/"))
    return os.environ.get(INSIDE_VARIABLE) == "1" and at


_host_guarded = threading.Lock()
_guarded_hosts: set[str] = set()


def guard_the_host(host: docker.DockerClient, image: str) -> None:
    """Make sure (once a process and engine) the host refuses connections sandboxes start towards it.

    One rule per address family, for every sandbox's bridge at once: kept when
    the grader ends, so that no sandbox ever runs without it. As root with
    iptables at hand it is set directly, otherwise from a container of the
    sandbox image on the host's network (the docker group may do that much).
    Remembered by the engine's address, not by the client: a cache holding
    clients would hold their connections open for the life of the process.
    """
    with _host_guarded:
        if host.api.base_url not in _guarded_hosts:
            code, output = host_firewall.set_rule(host, image)
            if code != 0:
                raise SandboxError(
                    f"The host's firewall rule for sandboxes could not be set:\n{last_lines(output)}"
                )
            _guarded_hosts.add(host.api.base_url)


def remove_runs(host: docker.DockerClient, run_ids: Collection[str]) -> None:
    """Remove everything of these grading runs: containers, volumes and networks by label, socket
    folders."""
    leftovers.remove(host, [item for item in leftovers.find(host, everything=True) if item.run_id in run_ids])
    for run_id in run_ids:
        for folder in Path(tempfile.gettempdir()).glob(f"grader-*-{run_id}-*"):
            shutil.rmtree(folder, ignore_errors=True)
