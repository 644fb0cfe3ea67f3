"""debian:bookworm-slim from debootstrap: slim, labelled, and apt works in builds FROM it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from docker.models.images import Image

from grader.host import labels, system
from grader.host.baseimages import debian

RULES = [
    ("path-exclude", "/usr/share/doc/*"),
    ("path-include", "/usr/share/doc/*/copyright"),
    ("path-exclude", "/usr/share/man/*"),
]


@pytest.fixture(scope="module")
def image(prepared: Callable[[str], Image]) -> Image:
    return prepared(debian.NAME)


def run(client: docker.DockerClient, image: str, script: str) -> str:
    output = client.containers.run(image, ["sh", "-c", script], remove=True, network_disabled=True)
    return output.decode().strip()


def test_the_slim_rules_keep_copyrights_and_licenses(tmp_path: Path) -> None:
    files = [
        "usr/share/doc/bash/copyright",
        "usr/share/doc/bash/README",
        "usr/share/man/man1/ls.1.gz",
        "usr/share/common-licenses/GPL-3",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    excluded = {str(p.relative_to(tmp_path)) for p in debian.excluded_files(tmp_path, RULES)}
    assert excluded == {"usr/share/doc/bash/README", "usr/share/man/man1/ls.1.gz"}


def test_the_slim_rules_are_read_from_the_dpkg_configuration() -> None:
    rules = debian._rules(debian.SLIM_RULES.read_text())
    assert ("path-include", "/usr/share/doc/*/copyright") in rules
    assert all(kind in {"path-exclude", "path-include"} for kind, _ in rules)


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_it_is_labelled_slim_and_points_at_the_hosts_mirror(
    host_engine: docker.DockerClient, image: Image
) -> None:
    if image.labels.get(labels.BUILT_LOCALLY) != "true":
        pytest.skip("debian:bookworm-slim was pulled, not built by the recipe")
    assert image.labels[labels.RECIPE].startswith("debootstrap ")
    assert image.attrs["Config"]["Cmd"] == ["bash"]
    script = (
        "cat /etc/apt/sources.list; test -f /usr/share/common-licenses/GPL-3 && echo GPL-3; "
        "find /var/lib/apt/lists /var/cache/apt /usr/share/man -type f | wc -l; "
        "find /usr/share/doc -type f ! -name copyright | wc -l"
    )
    assert run(host_engine, debian.NAME, script).splitlines() == [
        f"deb {system.apt_mirror()} bookworm main",
        "GPL-3",
        "0",
        "0",
    ]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("leaves_nothing", "image")
def test_apt_installs_packages_in_builds_from_it(
    host_engine: docker.DockerClient, temp_tag: Callable[[str], str]
) -> None:
    dockerfile = (
        f"FROM {debian.NAME}\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends hello\n"
        "RUN hello && ! ls /usr/share/doc/hello/README* 2>/dev/null\n"
    )
    built, _ = host_engine.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=temp_tag("apt"), rm=True, forcerm=True
    )
    assert run(host_engine, built.id, "hello") == "Hello, world!"


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("leaves_nothing")
def test_the_recipe_builds_a_fresh_image(
    host_engine: docker.DockerClient, temp_tag: Callable[[str], str]
) -> None:
    tag = temp_tag("debian")
    debian.build(host_engine, tag)
    built = host_engine.images.get(tag)
    assert built.labels[labels.BUILT_LOCALLY] == "true"
    assert run(host_engine, tag, "dpkg-query -W -f '${Status}\\n' bash") == "install ok installed"
