"""Recipe helpers against the real engine."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

from grader.host.baseimages.recipe import content_tag, drop_other_versions


def test_a_content_tag_changes_with_the_dockerfile_and_every_file_copied_in(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "code.py").write_text("one")
    (tmp_path / "entry.sh").write_text("#!/bin/sh")
    sources = {"pkg": tmp_path / "pkg", "entry.sh": tmp_path / "entry.sh"}
    first = content_tag("course/thing", "FROM busybox", sources)
    assert first.startswith("course/thing:") and len(first.split(":")[1]) == 12
    (tmp_path / "pkg" / "__pycache__" / "code.pyc").write_bytes(b"cache")
    assert content_tag("course/thing", "FROM busybox", sources) == first, "caches do not count"
    assert content_tag("course/thing", "FROM debian", sources) != first
    (tmp_path / "entry.sh").write_text("#!/bin/bash")
    second = content_tag("course/thing", "FROM busybox", sources)
    (tmp_path / "pkg" / "code.py").write_text("two")
    assert len({first, second, content_tag("course/thing", "FROM busybox", sources)}) == 3


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
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
