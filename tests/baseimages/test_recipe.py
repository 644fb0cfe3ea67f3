"""Recipe helpers against the real engine."""

from __future__ import annotations

import uuid

import docker
import pytest

from grader.baseimages.recipe import drop_other_versions

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]


def test_a_rebuilt_hash_tagged_image_untags_its_older_versions(host_engine: docker.DockerClient) -> None:
    repository = f"grader-test/versions-{uuid.uuid4().hex[:8]}"
    busybox = host_engine.images.get("busybox:latest")
    for version in ("old1", "old2", "new"):
        busybox.tag(repository, version)
    busybox.tag(f"{repository}-other", "keep")
    try:
        dropped = drop_other_versions(host_engine, f"{repository}:new")
        assert sorted(dropped) == [f"{repository}:old1", f"{repository}:old2"]
        assert host_engine.images.get("busybox:latest").tags.count(f"{repository}:new") == 1
        assert f"{repository}-other:keep" in host_engine.images.get("busybox:latest").tags
    finally:
        for name in (f"{repository}:new", f"{repository}-other:keep"):
            host_engine.images.remove(name)
