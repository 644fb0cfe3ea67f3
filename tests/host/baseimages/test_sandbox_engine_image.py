"""The sandbox engine image: its tag, its probes, and dockerd answering inside it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from docker.models.images import Image

from grader.host import labels
from grader.host.baseimages import sandbox_engine


def test_its_tag_is_a_hash_of_its_recipe() -> None:
    assert re.fullmatch(r"docker-course/sandbox-engine-26:[0-9a-f]{12}", sandbox_engine.TAG)
    assert sandbox_engine.RECIPE.name == sandbox_engine.TAG


@pytest.fixture(scope="module")
def image(prepared: Callable[[str], Image]) -> Image:
    return prepared(sandbox_engine.TAG)


@pytest.fixture
def sandbox(host_engine: docker.DockerClient, image: Image, tmp_path: Path) -> Iterator[Path]:
    """The image run the way the grader runs it; yields the nested engine's socket."""
    volume = host_engine.volumes.create(
        driver="local", driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=1g"}
    )
    container = host_engine.containers.run(
        sandbox_engine.TAG,
        ["-H", "unix:///run/sandbox/docker.sock"],
        detach=True,
        cap_add=["ALL"],
        cap_drop=["SYS_RESOURCE"],
        security_opt=["seccomp=unconfined", "apparmor=unconfined"],
        mem_limit="1g",
        pids_limit=512,
        volumes={volume.name: {"bind": "/var/lib/docker"}, str(tmp_path): {"bind": "/run/sandbox"}},
    )
    try:
        yield tmp_path / "docker.sock"
    finally:
        container.remove(force=True, v=True)
        volume.remove(force=True)


def nested_client(socket: Path, timeout_s: float = 60) -> docker.DockerClient:
    """A client of the engine in the sandbox, once it answers."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            client = docker.DockerClient(base_url=f"unix://{socket}")
            client.ping()
            return client
        except (docker.errors.DockerException, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_it_has_busybox_probes(host_engine: docker.DockerClient, image: Image) -> None:
    assert image.labels[labels.BUILT_LOCALLY] == "true"
    script = "readlink /grader/probe/bin/sh; test -e /grader/probe/bin/busybox || echo no-self-link"
    output = host_engine.containers.run(
        sandbox_engine.TAG, ["-c", script], entrypoint="sh", remove=True, network_disabled=True
    )
    assert output.decode().split() == ["../busybox", "no-self-link"]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("leaves_nothing")
def test_its_engine_answers_on_the_shared_socket(sandbox: Path) -> None:
    client = nested_client(sandbox)
    info = client.info()
    assert info["Driver"] == "overlay2"
    client.close()


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_its_docker_buildx_and_compose_are_the_pinned_ones(
    host_engine: docker.DockerClient, image: Image
) -> None:
    reports_its_pinned_versions(host_engine, sandbox_engine.TRIXIE)


def reports_its_pinned_versions(
    host: docker.DockerClient, engine: sandbox_engine.Engine | sandbox_engine.SourceEngine
) -> str:
    """Assert `engine`'s image says the versions it pins (docker, buildx, compose); what it printed."""
    script = "docker --version; docker buildx version; docker compose version; dockerd --version"
    output = host.containers.run(
        engine.tag, ["-c", script], entrypoint="sh", remove=True, network_disabled=True
    ).decode()
    versions = engine.versions()
    assert f"Docker version {versions['docker'].rsplit('-', 1)[0]}," in output  # without Debian's revision
    assert f" {versions['buildx']}\n" in output
    assert f"Docker Compose version {versions['compose']}\n" in output
    return output


ENTITLED = {  # entitlement: (a Dockerfile that needs it, the build's options that ask for it)
    "network.host": ("FROM busybox\nRUN --network=host true\n", "--allow network.host --network host"),
    "security.insecure": ("FROM busybox\nRUN --security=insecure true\n", "--allow security.insecure"),
}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("entitlement", ENTITLED)
def test_its_buildkit_grants_no_host_network_nor_insecure_builds(
    host_engine: docker.DockerClient, sandbox: Path, entitlement: str
) -> None:
    """Defence in depth behind the guard: the nested engine's own configuration refuses both."""
    client = nested_client(sandbox)
    client.images.load(host_engine.images.get("busybox:latest").save(named=["busybox:latest"]))
    client.close()
    dockerfile, options = ENTITLED[entitlement]
    script = (
        f"printf '{dockerfile}' > /tmp/Dockerfile && docker -H unix:///run/sandbox/docker.sock "
        f"buildx build {options} -f /tmp/Dockerfile /tmp 2>&1; echo exit $?"
    )
    output = host_engine.containers.run(
        sandbox_engine.TAG,
        ["-c", script],
        entrypoint="sh",
        remove=True,
        network_disabled=True,
        volumes={str(sandbox.parent): {"bind": "/run/sandbox"}},
    ).decode()
    refused = f"granting entitlement {entitlement} is not allowed by build daemon configuration"
    assert refused in output, output
    assert not output.rstrip().endswith("exit 0")
