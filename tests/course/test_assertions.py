"""Assertions about Docker objects: silent when true, a sentence of what was found when not."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from grader.course.assertions import (
    built_on,
    changed,
    exited,
    hides,
    in_registry,
    mounted,
    no_image,
    printed,
    same_image,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]


@pytest.fixture
def said_hi(host_engine: docker.DockerClient) -> Iterator[Container]:
    container = host_engine.containers.create("busybox:latest", ["sh", "-c", "echo hi; exit 3"])
    container.start()
    container.wait(timeout=30)
    yield container
    container.remove(force=True)


def test_exited_checks_the_exit_code(said_hi: Container) -> None:
    exited(said_hi, 3)
    with pytest.raises(AssertionError, match=r"stopped with exit code 3"):
        exited(said_hi, 0)


def test_exited_says_when_it_still_runs(host_engine: docker.DockerClient) -> None:
    container = host_engine.containers.run("busybox:latest", ["sleep", "60"], detach=True)
    try:
        with pytest.raises(AssertionError, match=r"is still running"):
            exited(container)
    finally:
        container.remove(force=True)


def test_printed_finds_text_and_shows_what_was_printed_instead(said_hi: Container) -> None:
    printed(said_hi, "hi")
    with pytest.raises(AssertionError, match=r"printed 'hi'"):
        printed(said_hi, "hello")


def test_same_image_tells_two_images_apart(host_engine: docker.DockerClient) -> None:
    busybox = host_engine.images.get("busybox:latest")
    same_image(busybox, host_engine.images.get(busybox.id))
    with pytest.raises(AssertionError, match=r"two different images"):
        same_image(busybox, host_engine.images.get("debian:bookworm-slim"))


@pytest.fixture
def committed(host_engine: docker.DockerClient) -> Iterator[docker.models.images.Image]:
    """An image committed from a busybox container that wrote a file: busybox's layers and one more."""
    container = host_engine.containers.run("busybox:latest", ["touch", "/made"], detach=True)
    container.wait(timeout=30)
    image = host_engine.images.get(container.commit().id)
    container.remove(force=True)
    yield image
    host_engine.images.remove(image.id, force=True)


def test_built_on_wants_the_base_layers_first_and_one_more(
    host_engine: docker.DockerClient, committed: docker.models.images.Image
) -> None:
    busybox = host_engine.images.get("busybox:latest")
    built_on(committed, busybox)
    with pytest.raises(AssertionError, match=r"and none of its own"):
        built_on(busybox, busybox)
    with pytest.raises(AssertionError, match=r"begin with 0 of .*it is not built on"):
        built_on(host_engine.images.get("debian:bookworm-slim"), busybox)


def test_no_image_says_which_image_still_has_the_name(host_engine: docker.DockerClient) -> None:
    no_image(host_engine, f"grader-test-absent-{uuid.uuid4().hex[:8]}:1")
    with pytest.raises(AssertionError, match=r"busybox:latest still exists \(image sha256:"):
        no_image(host_engine, "busybox:latest")


@pytest.fixture
def registry_url(host_engine: docker.DockerClient) -> Iterator[str]:
    """A registry:2 on a free loopback port, holding busybox as grader-test/busybox:1."""
    container = host_engine.containers.run(
        "registry:2",
        detach=True,
        name=f"grader-test-registry-{uuid.uuid4().hex[:8]}",
        ports={"5000/tcp": ("127.0.0.1", None)},
    )
    try:
        container.reload()
        port = container.ports["5000/tcp"][0]["HostPort"]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/v2/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        name = f"localhost:{port}/grader-test/busybox"
        host_engine.images.get("busybox:latest").tag(name, "1")
        try:
            for line in host_engine.images.push(name, "1", stream=True, decode=True):
                assert "error" not in line, line
        finally:
            host_engine.images.remove(f"{name}:1")
        yield url
    finally:
        container.remove(force=True, v=True)


def test_in_registry_reads_tags_and_manifests_over_http(
    host_engine: docker.DockerClient, registry_url: str
) -> None:
    busybox = host_engine.images.get("busybox:latest")
    in_registry(registry_url, "grader-test/busybox", "1")
    in_registry(registry_url, "grader-test/busybox", "1", busybox)
    with pytest.raises(AssertionError, match=r"grader-test/busybox has 1, not 2"):
        in_registry(registry_url, "grader-test/busybox", "2")
    with pytest.raises(AssertionError, match=r"the registry has no repository grader-test/other"):
        in_registry(registry_url, "grader-test/other", "1")
    with pytest.raises(AssertionError, match=r"busybox:1 in the registry is the image [0-9a-f]{12}, not"):
        in_registry(registry_url, "grader-test/busybox", "1", host_engine.images.get("debian:bookworm-slim"))


def test_in_registry_says_when_no_registry_answers() -> None:
    with pytest.raises(AssertionError, match=r"no registry answers at http://127.0.0.1:9/v2/"):
        in_registry("http://127.0.0.1:9", "grader-test/busybox", "1")


@pytest.fixture
def tidied(host_engine: docker.DockerClient) -> Iterator[Container]:
    """A stopped busybox container that added /etc/motd, changed /etc/group and deleted /bin/vi."""
    script = "echo hi > /etc/motd && echo extra:x:999: >> /etc/group && rm /bin/vi"
    container = host_engine.containers.run("busybox:latest", ["sh", "-c", script], detach=True)
    container.wait(timeout=30)
    yield container
    container.remove(force=True)


def test_changed_reads_docker_diff(tidied: Container) -> None:
    changed(tidied, "/etc/motd", "added")
    changed(tidied, "/etc/group", "changed")
    changed(tidied, "/bin/vi", "deleted")
    with pytest.raises(AssertionError, match=r"shows it added"):
        changed(tidied, "/etc/motd", "deleted")
    with pytest.raises(AssertionError, match=r"does not list it"):
        changed(tidied, "/etc/passwd", "changed")
    with pytest.raises(ValueError):
        changed(tidied, "/etc/motd", "removed")


@pytest.fixture
def bound(host_engine: docker.DockerClient, tmp_path: Path) -> Iterator[Container]:
    """A running busybox container with a folder of the host bound over /var and a tmpfs on /tmp."""
    (tmp_path / "mine.txt").write_text("mine")
    container = host_engine.containers.run(
        "busybox:latest",
        ["sleep", "60"],
        detach=True,
        volumes={str(tmp_path): {"bind": "/var", "mode": "rw"}},
        tmpfs={"/tmp": ""},
    )
    yield container
    container.remove(force=True)


def test_mounted_finds_a_mount_of_its_kind(bound: Container) -> None:
    assert mounted(bound, "/var")["Destination"] == "/var"
    with pytest.raises(AssertionError, match=r"has a bind mount at /var, not a volume mount"):
        mounted(bound, "/var", "volume")
    with pytest.raises(AssertionError, match=r"has no mount at /srv \(its mounts: /var\)"):
        mounted(bound, "/srv")


def test_hides_compares_the_image_with_the_running_container(bound: Container) -> None:
    hides(bound, "/var")  # busybox's /var holds spool and www; the container sees mine.txt
    with pytest.raises(AssertionError, match=r"still shows the image's .*passwd"):
        hides(bound, "/etc")
    with pytest.raises(AssertionError, match=r"image has nothing in /home that could be hidden"):
        hides(bound, "/home")
