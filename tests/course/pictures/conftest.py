"""Fixtures of the picture tests: networks, containers and images of their own, removed afterwards."""

from __future__ import annotations

import contextlib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import pytest
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from grader.sandbox.sandbox import Sandbox

PREFIX = "pictures-test-"


@dataclass
class Made:
    """What a test made on the engine, in the order to remove it."""

    client: docker.DockerClient
    prefix: str = field(default_factory=lambda: f"{PREFIX}{uuid.uuid4().hex[:8]}-")
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def network(self, short: str) -> str:
        name = self.prefix + short
        self.networks.append(name)
        self.client.networks.create(name, driver="bridge")
        return name

    def container(self, short: str, networks: list[str], **options: object) -> Container:
        """A sleeping busybox on `networks` (the first at start, the others connected after)."""
        name = self.prefix + short
        self.containers.append(name)
        first = networks[0] if networks else None
        container = self.client.containers.run(
            "busybox:latest", ["sleep", "600"], name=name, network=first, detach=True, **options
        )
        for other in networks[1:]:
            self.client.networks.get(other).connect(container)
        container.reload()
        return container

    def remove(self) -> None:
        """Remove containers, then networks, then images; whatever is already gone is skipped."""
        for name in self.containers:
            with contextlib.suppress(NotFound, APIError):
                self.client.containers.get(name).remove(force=True)
        for name in self.networks:
            with contextlib.suppress(NotFound, APIError):
                self.client.networks.get(name).remove()
        for name in self.images:
            with contextlib.suppress(NotFound, APIError):
                self.client.images.remove(name, force=True)


@pytest.fixture(scope="module")
def client(store_sandbox: Sandbox) -> docker.DockerClient:
    """The engine of a sandbox of each image store in turn."""
    assert store_sandbox.client is not None
    return store_sandbox.client


@pytest.fixture
def made(client: docker.DockerClient) -> Iterator[Made]:
    """A place to make engine objects with unique `pictures-test-` names; all removed afterwards."""
    made = Made(client)
    yield made
    made.remove()


def texts(svg: str) -> list[str]:
    """Every text of an SVG, unescaped, after checking that it parses as XML."""
    root = ET.fromstring(svg)
    return ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]


def classed(svg: str, name: str) -> list[ET.Element]:
    """The elements of an SVG whose class list holds `name`."""
    return [node for node in ET.fromstring(svg).iter() if name in (node.get("class") or "").split()]
