"""Fixtures of the base image tests: prepared images and throwaway tags."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator

import docker
import docker.errors
import pytest
from docker.models.images import Image

from grader.host import baseimages


@pytest.fixture(scope="session")
def prepared(host_engine: docker.DockerClient) -> Callable[[str], Image]:
    """Make a base image available (built locally, never pulled) and return it."""

    def make(name: str) -> Image:
        baseimages.prepare(host_engine, [name], pull=False)
        return host_engine.images.get(name)

    return make


@pytest.fixture
def temp_tag(host_engine: docker.DockerClient) -> Iterator[Callable[[str], str]]:
    """Unique image tags for a test; the images they name are removed afterwards."""
    tags: list[str] = []

    def new(name: str) -> str:
        tags.append(f"grader-test/{name}:{uuid.uuid4().hex[:10]}")
        return tags[-1]

    yield new
    for tag in reversed(tags):
        with contextlib.suppress(docker.errors.ImageNotFound):
            host_engine.images.remove(tag, force=True)
