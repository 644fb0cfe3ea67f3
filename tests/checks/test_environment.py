"""The environment checks see: things found by the student's names, missing ones named in plain words."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import docker
import pytest

from grader.checks.environment import Environment
from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker]

BUSYBOX = "busybox:latest"


@pytest.fixture(scope="module")
def env(host_engine: docker.DockerClient) -> Iterator[Environment]:
    """A sandbox holding a running web server `web`, a stopped `done`, a network and a volume."""
    limits = SandboxLimits(memory="512m", disk="256m", pids=256)
    with Sandbox(host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), limits=limits) as sandbox:
        assert sandbox.client is not None
        base_images = sandbox.load_images([BUSYBOX])
        client = sandbox.client
        client.networks.create("learning")
        client.volumes.create("data")
        client.containers.run(
            BUSYBOX,
            ["sh", "-c", "echo hello > /index.html && httpd -f -p 8080 -h /"],
            name="web",
            detach=True,
            ports={"8080/tcp": 18080},
        )
        client.containers.run(BUSYBOX, ["sh", "-c", "exit 3"], name="done", detach=True).wait()
        client.containers.run(BUSYBOX, ["sleep", "3600"], name="peer", network="learning", detach=True)
        client.networks.get("learning").connect("web")
        environment = Environment(client, sandbox.address, base_images=base_images)
        yield environment
        environment.close()


def test_a_running_container_is_found_by_name_and_checked_inside(env: Environment) -> None:
    assert env.running("web").name == "web"
    assert env.host("web").run("hostname").rc == 0
    assert env.host("web").file("/index.html").content_string == "hello\n"


def test_a_missing_container_is_named(env: Environment) -> None:
    with pytest.raises(AssertionError, match="there is no container named catserver"):
        env.container("catserver")


def test_an_id_prefix_is_not_a_name(env: Environment) -> None:
    prefix = env.container("web").id[:6]
    with pytest.raises(AssertionError, match=f"no container named {prefix}"):
        env.container(prefix)


def test_a_stopped_container_says_it_is_not_running_and_its_exit_code(env: Environment) -> None:
    assert env.container("done").status == "exited"
    with pytest.raises(AssertionError, match=r"done is not running \(it is exited, exit code 3\)"):
        env.host("done")


def test_a_published_port_answers_at_the_address(env: Environment) -> None:
    port = env.published("web", 8080)
    assert port == 18080
    with urllib.request.urlopen(f"http://{env.address}:{port}/index.html", timeout=5) as answer:
        assert answer.read() == b"hello\n"


def test_an_unpublished_port_names_what_is_published(env: Environment) -> None:
    with pytest.raises(
        AssertionError, match=r"web does not publish its port 9999/tcp \(it publishes 8080/tcp\)"
    ):
        env.published("web", 9999)


def test_networks_volumes_and_images_are_found_by_name(env: Environment) -> None:
    assert env.network("learning").name == "learning"
    assert env.volume("data").name == "data"
    assert env.image(BUSYBOX).tags == [BUSYBOX]


@pytest.mark.parametrize(
    ("kind", "name"), [("network", "catsonly"), ("volume", "shared"), ("image", "my-image:latest")]
)
def test_missing_networks_volumes_and_images_are_named(env: Environment, kind: str, name: str) -> None:
    with pytest.raises(AssertionError, match=f"there is no {kind} named {name}"):
        getattr(env, kind)(name)


def test_files_are_read_from_outside_whatever_the_container_runs(env: Environment) -> None:
    web = env.host("web")
    assert web.file("/index.html").content == b"hello\n"
    assert web.file("/index.html").is_file and not web.file("/nope").exists
    assert "index.html" in web.file("/").listdir()
    assert web.file("/bin/sh").is_symlink and web.file("/bin/sh").linked_to == "/bin/busybox"
    assert (web.file("/etc/passwd").user, web.file("/etc/passwd").mode) == ("root", 0o644)


def test_sockets_names_and_pages_are_asked_from_a_lookout_beside_the_container(env: Environment) -> None:
    web = env.host("web")
    assert web.socket("tcp://0.0.0.0:8080").is_listening
    assert web.net.run("wget -q -O- http://127.0.0.1:8080/index.html").stdout == "hello\n"
    assert web.net.run("ping -c 1 -W 1 peer").rc == 0
    assert web.pidns.run("cat /proc/1/root/index.html").stdout == "hello\n"


def test_base_images_go_by_the_recorded_id_whatever_the_script_tagged(env: Environment) -> None:
    real = env.base(BUSYBOX)
    fake = env.client.containers.run(BUSYBOX, ["touch", "/fake"], name="faker", detach=True)
    fake.wait()
    try:
        fake.commit("busybox", "latest")  # the script's own image, now called busybox:latest
        assert env.image(BUSYBOX).id != real.id
        assert env.base(BUSYBOX).id == real.id
        assert env.of_base(env.container("web"), BUSYBOX)
        assert not env.of_base(fake, "registry:2")
    finally:
        fake.remove()
        moved = env.image(BUSYBOX)
        real.tag("busybox", "latest")
        env.client.images.remove(moved.id)


def test_a_file_of_an_image_is_read_without_running_it(env: Environment) -> None:
    assert env.image_file(BUSYBOX, "/etc/group") is not None
    assert env.image_file(BUSYBOX, "/nope") is None
    assert env.image_file(BUSYBOX, "/etc") is None  # a folder is no file
