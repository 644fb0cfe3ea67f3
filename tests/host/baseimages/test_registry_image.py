"""registry:2 built from Debian's docker-registry behaves like the official image."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator

import docker
import pytest
from docker.models.containers import Container
from docker.models.images import Image

from grader.host import labels
from grader.host.baseimages import busybox, registry

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]


@pytest.fixture(scope="module")
def images(prepared: Callable[[str], Image]) -> None:
    prepared(registry.NAME)
    prepared(busybox.NAME)


@pytest.fixture
def served(host_engine: docker.DockerClient, images: None) -> Iterator[Container]:
    """A registry container, published on a free loopback port of the host."""
    container = host_engine.containers.run(
        registry.NAME,
        detach=True,
        name=f"grader-test-registry-{uuid.uuid4().hex[:8]}",
        ports={"5000/tcp": ("127.0.0.1", None)},
    )
    try:
        container.reload()
        wait_for(url(container, "/v2/"))
        yield container
    finally:
        container.remove(force=True, v=True)


def url(container: Container, path: str) -> str:
    address = container.attrs["NetworkSettings"]["IPAddress"]
    return f"http://{address}:5000{path}"


def wait_for(address: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(address, timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def get(address: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(address, timeout=5) as response:
        return response.status, response.read()


def test_it_is_labelled_and_configured_like_the_official_image(
    host_engine: docker.DockerClient, images: None
) -> None:
    image = host_engine.images.get(registry.NAME)
    assert image.labels[labels.BUILT_LOCALLY] == "true"
    config = image.attrs["Config"]
    assert "/var/lib/registry" in config["Volumes"]
    assert "5000/tcp" in config["ExposedPorts"]


def test_v2_answers_without_authentication(served: Container) -> None:
    status, _ = get(url(served, "/v2/"))
    assert status == 200


def test_an_image_pushed_to_it_is_in_its_catalog(host_engine: docker.DockerClient, served: Container) -> None:
    port = served.ports["5000/tcp"][0]["HostPort"]
    name = f"localhost:{port}/grader-test/busybox"
    host_engine.images.get(busybox.NAME).tag(name, "pushed")
    try:
        for line in host_engine.images.push(name, "pushed", stream=True, decode=True):
            assert "error" not in line, line
    finally:
        host_engine.images.remove(f"{name}:pushed")
    _, body = get(url(served, "/v2/_catalog"))
    assert json.loads(body)["repositories"] == ["grader-test/busybox"]
