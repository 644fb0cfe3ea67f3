"""busybox:latest built from the host's busybox-static behaves like the official image."""

from __future__ import annotations

import io
from collections.abc import Callable

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import busybox

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]


@pytest.fixture
def image(host_engine: docker.DockerClient, temp_tag: Callable[[str], str]) -> str:
    """A fresh local build of the busybox recipe."""
    tag = temp_tag("busybox")
    busybox.build(host_engine, tag)
    return tag


def run(client: docker.DockerClient, image: str, script: str) -> str:
    output = client.containers.run(image, ["sh", "-c", script], remove=True, network_disabled=True)
    return output.decode().strip()


def test_it_is_labelled_with_its_recipe(host_engine: docker.DockerClient, image: str) -> None:
    found = host_engine.images.get(image)
    assert found.labels[labels.BUILT_LOCALLY] == "true"
    assert found.labels[labels.RECIPE].startswith("busybox-static 1:")
    assert found.attrs["Config"]["Cmd"] == ["sh"]


def test_it_has_the_applets_and_the_official_filesystem(host_engine: docker.DockerClient, image: str) -> None:
    script = (
        "[ -L /bin/busybox ] && echo busybox-is-a-link; "
        "stat -c '%n %a' /tmp /root /home /var/www /var/spool/mail /usr/sbin; "
        "wget --help >/dev/null 2>&1 && echo wget; "
        "id nobody; id www-data; grep -c . /etc/group"
    )
    assert run(host_engine, image, script).splitlines() == [
        "/tmp 1777",
        "/root 700",
        "/home 755",
        "/var/www 755",
        "/var/spool/mail 755",
        "/usr/sbin 755",
        "wget",
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)",
        "uid=33(www-data) gid=33(www-data) groups=33(www-data)",
        "26",
    ]


@pytest.mark.parametrize("user", ["nobody", "www-data"])
def test_a_dockerfile_from_it_can_switch_user(
    host_engine: docker.DockerClient, image: str, temp_tag: Callable[[str], str], user: str
) -> None:
    dockerfile = f'FROM {image}\nUSER {user}\nRUN [ "$(id -un)" = "{user}" ]\n'
    built, _ = host_engine.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=temp_tag("user"), rm=True, forcerm=True
    )
    assert built.attrs["Config"]["User"] == user
