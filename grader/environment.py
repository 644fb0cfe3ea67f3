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
import testinfra.host
from docker.models.containers import Container
from docker.models.images import Image
from docker.models.networks import Network
from docker.models.volumes import Volume

from grader.backend import host_for

if TYPE_CHECKING:
    from grader.runner import ScriptResult


@dataclass
class Environment:
    """A Docker engine holding what the student built, seen by the checks."""

    client: docker.DockerClient
    address: str
    live: bool = False
    script: ScriptResult | None = None
    check_timeout_s: float = 10.0
    _hosts: dict[str, testinfra.host.Host] = field(default_factory=dict, repr=False)

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

    def host(self, name: str) -> testinfra.host.Host:
        """A testinfra host inside the running container `name` (one shell, kept open)."""
        container = self.running(name)
        if container.id not in self._hosts:
            self._hosts[container.id] = host_for(
                self.client.api, container.id, timeout_s=self.check_timeout_s, probe=False
            )
        return self._hosts[container.id]

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

    def close(self) -> None:
        """Close the shells opened in containers."""
        for host in self._hosts.values():
            host.backend.close()
        self._hosts.clear()
