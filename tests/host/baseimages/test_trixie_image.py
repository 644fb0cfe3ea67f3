"""docker-course/trixie:slim, the sandbox engine's root: trixie with trixie-security, and pins checked."""

from __future__ import annotations

from collections.abc import Callable

import docker
import pytest
from docker.models.images import Image

from grader.host import labels
from grader.host.baseimages import sandbox_engine, trixie
from grader.host.baseimages.recipe import BuildFailed, build_dockerfile
from grader.host.system import AptSource

HOST = AptSource("http://deb.debian.org/debian", ("bookworm",), ("main",))
SECURITY = AptSource("http://mirror.example/debian-security", ("bookworm-security",), ("main",))


def test_the_security_archive_is_the_hosts_own() -> None:
    assert trixie.security_mirror([HOST, SECURITY]) == "http://mirror.example/debian-security"
    assert trixie.security_mirror([HOST]) == "http://deb.debian.org/debian-security"


@pytest.fixture(scope="module")
def image(prepared: Callable[[str], Image]) -> Image:
    return prepared(trixie.NAME)


def run(client: docker.DockerClient, script: str) -> str:
    output = client.containers.run(trixie.NAME, ["sh", "-c", script], remove=True, network_disabled=True)
    return bytes(output).decode()


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_it_is_trixie_and_apt_reads_its_security_suite(
    host_engine: docker.DockerClient, image: Image
) -> None:
    assert image.labels[labels.BUILT_LOCALLY] == "true"
    assert "--variant=minbase trixie from " in image.labels[labels.RECIPE]
    output = run(host_engine, ". /etc/os-release; echo $VERSION_CODENAME; cat /etc/apt/sources.list")
    lines = output.splitlines()
    assert lines[0] == "trixie"
    assert [line.split()[2:] for line in lines[1:]] == [["trixie", "main"], ["trixie-security", "main"]]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("leaves_nothing")
def test_a_pin_the_mirror_no_longer_serves_fails_saying_what_to_update(
    host_engine: docker.DockerClient, image: Image
) -> None:
    check = sandbox_engine.pin_check({"runc": "0.0-gone"})
    dockerfile = f"FROM {trixie.NAME}\nRUN apt-get update && {check}\n"
    with pytest.raises(BuildFailed) as failed:
        build_dockerfile(host_engine, "grader-tests/pins:gone", dockerfile, {}, "a pin check")
    message = str(failed.value)
    assert "The Debian mirror no longer serves runc=0.0-gone (it serves: 1.1.15" in message, message
    assert "Update PINNED in grader/host/baseimages/sandbox_engine.py" in message
