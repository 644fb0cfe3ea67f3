"""Where a setup exercise's result is checked: an engine, and where its published ports answer.

Checks ask for things by the names the student gave them (`env.container("catserver")`,
`env.network("learning")`) and never know whether they run in a grading
sandbox or against the student's own engine (live). What is missing fails the
check with a sentence naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.images import Image
from docker.models.networks import Network
from docker.models.volumes import Volume

from grader.checks import archive
from grader.checks.backend import DEFAULT_HELPER_IMAGE, GraderHost, host_for

if TYPE_CHECKING:
    from grader.sandbox.runner import ScriptResult


@dataclass
class Environment:
    """A Docker engine holding what the student built, seen by the checks."""

    client: docker.DockerClient
    address: str
    live: bool = False
    script: ScriptResult | None = None
    check_timeout_s: float = 10.0
    base_images: dict[str, str] = field(default_factory=dict)
    """Each base image's ID by name, recorded when the sandbox was filled (Sandbox.load_images).
    The script may have moved the names since; live, on the student's own engine, it is empty."""
    _hosts: dict[str, GraderHost] = field(default_factory=dict, repr=False)

    def container(self, name: str) -> Container:
        """The container called `name`, running or not."""
        try:
            container = self.client.containers.get(name)
        except docker.errors.NotFound:
            container = None
        if container is None or container.name != name:  # get() also takes an id's prefix
            raise AssertionError(f"there is no container named {name}")
        return container

    def running(self, name: str) -> Container:
        """The container called `name`, which must be running."""
        container = self.container(name)
        if container.status != "running":
            code = container.attrs["State"].get("ExitCode")
            raise AssertionError(
                f"the container {name} is not running (it is {container.status}, exit code {code})"
            )
        return container

    def host(self, name: str) -> GraderHost:
        """A testinfra host for the running container `name`: its files (`file`), sockets (`socket`),
        network (`net`) and main process's view (`pidns`) are read from outside it, by the grader's
        tools. It has no probe: `run` there uses the container's own shell and tools, which the
        script chose, so checks never trust what it prints."""
        container = self.running(name)
        if container.id not in self._hosts:
            self._hosts[container.id] = host_for(
                self.client.api,
                container.id,
                timeout_s=self.check_timeout_s,
                probe=False,
                helper_image=self.base_images.get(DEFAULT_HELPER_IMAGE, DEFAULT_HELPER_IMAGE),
            )
        return self._hosts[container.id]

    def base(self, name: str) -> Image:
        """The base image `name` (such as `busybox:latest`) as the grader loaded it: by its recorded
        ID, wherever the script moved the name; live, the image of that name."""
        recorded = self.base_images.get(name)
        if recorded is None:
            return self.image(name)
        try:
            return self.client.images.get(recorded)
        except docker.errors.ImageNotFound:
            raise AssertionError(f"the base image {name} was removed") from None

    def of_base(self, container: Container, name: str) -> bool:
        """Whether `container` runs the base image `name`: by the recorded ID; live, by the ID of
        that name or by the name it was started with (`busybox`, `busybox:1.36`)."""
        image_id = container.attrs.get("Image")
        if name in self.base_images:
            return bool(image_id == self.base_images[name])
        started_as = container.attrs["Config"].get("Image", "").split("/")[-1].split("@")[0]
        if started_as.split(":")[0] == name.split(":")[0]:
            return True
        try:
            return bool(image_id == self.image(name).id)
        except AssertionError:
            return False

    def published(self, name: str, port: int, protocol: str = "tcp") -> int:
        """The host port on which container `name` publishes its `port`."""
        ports = self.running(name).attrs["NetworkSettings"].get("Ports") or {}
        bindings = ports.get(f"{port}/{protocol}") or []
        if not bindings:
            shown = ", ".join(sorted(key for key, value in ports.items() if value)) or "no port"
            raise AssertionError(f"{name} does not publish its port {port}/{protocol} (it publishes {shown})")
        return int(bindings[0]["HostPort"])

    def network(self, name: str) -> Network:
        """The network called `name`."""
        try:
            return self.client.networks.get(name)
        except docker.errors.NotFound:
            raise AssertionError(f"there is no network named {name}") from None

    def volume(self, name: str) -> Volume:
        """The volume called `name`."""
        try:
            return self.client.volumes.get(name)
        except docker.errors.NotFound:
            raise AssertionError(f"there is no volume named {name}") from None

    def image(self, name: str) -> Image:
        """The image called `name` (a tag such as `my-image:latest`)."""
        try:
            return self.client.images.get(name)
        except docker.errors.ImageNotFound:
            raise AssertionError(f"there is no image named {name}") from None

    def image_file(self, name: str, path: str, *, limit: int = 1 << 20) -> bytes | None:
        """The regular file at `path` in the image `name` (its first `limit` bytes), read by the
        engine from a container of it that is created, never started, and removed; None when the
        image has no such file. Nothing of the image runs."""
        return archive.image_file(self.client.api, self.image(name).id, path, limit=limit)

    def close(self) -> None:
        """Close the shells opened in containers and remove the lookouts beside them."""
        for host in self._hosts.values():
            host.close()
        self._hosts.clear()
