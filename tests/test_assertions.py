"""Assertions about Docker objects: silent when true, a sentence of what was found when not."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from docker.models.containers import Container

from grader.assertions import exited, printed, same_image

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
