"""The guard in front of a real sandbox engine, used by the docker CLI in a runner as setup.sh uses it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from grader import labels
from grader.baseimages import sandbox_engine
from grader.guard import Guard, policy
from grader.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SMALL = SandboxLimits(memory="512m", disk="256m", pids=256)
ROOTS = ("/submission",)
GUARD_DIR = "/guard"
SCRIPT_TIMEOUT_S = 60
PRIVILEGED = (
    "Refused: `--privileged` gives a container full control of the machine; the course never needs it."
)


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    with Sandbox(host_engine, sandbox_engine.TAG, run_id=labels.new_run_id(), limits=SMALL) as sandbox:
        sandbox.load_images(["busybox:latest"])
        yield sandbox


@pytest.fixture(scope="module")
def guard(sandbox: Sandbox) -> Iterator[Guard]:
    with Guard(sandbox.socket, allowed_bind_roots=ROOTS) as guard:
        yield guard


@pytest.fixture(scope="module")
def runner(host_engine: docker.DockerClient, sandbox: Sandbox, guard: Guard) -> Iterator[Container]:
    """A container with the docker CLI whose Docker socket is the guard's, like setup.sh's runner."""
    container = host_engine.containers.run(
        sandbox_engine.TAG,
        entrypoint=["sleep", "infinity"],
        detach=True,
        labels=labels.run_labels(sandbox.run_id),
        environment={"DOCKER_HOST": f"unix://{GUARD_DIR}/{guard.socket.name}"},
        network_mode=f"container:{sandbox.container_id}",
        volumes={str(guard.socket.parent): {"bind": GUARD_DIR, "mode": "ro"}},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
    )
    yield container
    container.remove(force=True)


def sh(runner: Container, script: str) -> tuple[int, str, str]:
    """Run `script` with bash in the runner: exit code, stdout, stderr."""
    code, (out, err) = runner.exec_run(["timeout", str(SCRIPT_TIMEOUT_S), "bash", "-c", script], demux=True)
    return code, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")


@pytest.mark.usefixtures("leaves_nothing")
def test_docker_run_prints_what_the_container_prints(runner: Container) -> None:
    assert sh(runner, "docker run --rm busybox echo hi") == (0, "hi\n", "")


@pytest.mark.usefixtures("leaves_nothing")
def test_a_detached_container_takes_docker_exec(runner: Container) -> None:
    code, out, err = sh(
        runner, "docker run -d --name web busybox sleep 60 >/dev/null && docker exec web echo inside"
    )
    sh(runner, "docker rm -f web")
    assert (code, out, err) == (0, "inside\n", "")


@pytest.mark.usefixtures("leaves_nothing")
def test_stdin_reaches_a_container_and_its_end_ends_it(runner: Container) -> None:
    """`-i` upgrades the connection (101) and the CLI half-closes it at stdin's end: cat must see both."""
    assert sh(runner, "printf 'data\\nmore\\n' | docker run -i --rm busybox cat") == (0, "data\nmore\n", "")


@pytest.mark.usefixtures("leaves_nothing")
def test_a_classic_build_streams_its_context_and_its_output(runner: Container) -> None:
    script = (
        "printf 'FROM busybox\\nRUN echo built > /built\\n'"
        " | DOCKER_BUILDKIT=0 docker build -q -t guarded - >/dev/null"
        " && docker run --rm guarded cat /built && docker rmi -f guarded >/dev/null"
    )
    assert sh(runner, script) == (0, "built\n", "")


@pytest.mark.usefixtures("leaves_nothing")
def test_an_image_goes_out_with_save_and_back_in_with_load(runner: Container) -> None:
    code, out, _ = sh(runner, "docker save busybox | docker load")
    assert (code, out) == (0, "Loaded image: busybox:latest\n")


@pytest.mark.usefixtures("leaves_nothing")
def test_a_network_is_created_and_removed(runner: Container) -> None:
    script = (
        "docker network create learning >/dev/null && docker network ls --format '{{.Name}}' | grep learning"
    )
    code, out, _ = sh(runner, f"{script}; docker network rm learning >/dev/null")
    assert (code, out) == (0, "learning\n")


@pytest.mark.usefixtures("leaves_nothing")
def test_privileged_is_refused_with_the_guards_sentence(runner: Container, guard: Guard) -> None:
    before = len(guard.refusals)
    code, out, err = sh(runner, "docker run --privileged busybox true")
    assert code != 0 and out == ""
    assert f"Error response from daemon: {PRIVILEGED}" in err
    refused = guard.refusals[before:]
    assert [(r.method, r.path, r.message) for r in refused] == [
        ("POST", "/v1.41/containers/create", PRIVILEGED)
    ]


@pytest.mark.usefixtures("leaves_nothing")
def test_sharing_a_folder_of_the_machine_is_refused(runner: Container, guard: Guard) -> None:
    code, _, err = sh(runner, "docker run -v /etc:/host-etc busybox ls /host-etc")
    assert code != 0
    assert "Refused: `-v /etc:/host-etc` shares the machine's /etc" in err
    assert guard.refusals[-1].message in err


@pytest.mark.usefixtures("leaves_nothing")
def test_buildkit_is_refused_with_a_way_out(runner: Container) -> None:
    code, _, err = sh(runner, "printf 'FROM busybox\\n' | DOCKER_BUILDKIT=1 docker build -")
    assert code != 0
    assert policy.BUILDKIT in err


def _ask(path: Path, request: bytes) -> bytes:
    """Send raw bytes to a unix socket and read until the other side closes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(str(path))
        client.sendall(request)
        answer = b""
        while data := client.recv(65536):
            answer += data
        return answer


@pytest.mark.usefixtures("leaves_nothing")
def test_a_refusal_keeps_the_connection_for_the_next_request(tmp_path: Path) -> None:
    body = b'{"HostConfig": {"Privileged": true}}'
    refused = b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    with Guard(tmp_path / "no-engine.sock") as guard:
        answer = _ask(guard.socket, refused + b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
    first, _, second = answer.partition(b"HTTP/1.1 502")
    assert first.startswith(b"HTTP/1.1 403 Forbidden\r\n") and PRIVILEGED.encode() in first
    assert b"The engine is not answering." in second


@pytest.mark.usefixtures("leaves_nothing")
def test_a_configuration_too_large_to_check_is_refused_after_reading_it(tmp_path: Path) -> None:
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    head = b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n"
    with Guard(tmp_path / "no-engine.sock") as guard:
        answer = _ask(guard.socket, head + chunks + b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
        assert [refusal.message for refusal in guard.refusals] == [policy.TOO_LARGE]
    assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n") and b"HTTP/1.1 502 Bad Gateway" in answer


@pytest.mark.usefixtures("leaves_nothing")
def test_closing_cuts_open_connections_and_removes_the_folder(tmp_path: Path) -> None:
    guard = Guard(tmp_path / "no-engine.sock").__enter__()
    folder = guard.socket.parent
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        idle.settimeout(10)
        idle.connect(str(guard.socket))
        idle.sendall(b"GET /_ping HTTP/1.1\r\n")  # half a head: its thread waits for the rest
        time.sleep(0.2)
        started = time.monotonic()
        guard.close()
        assert time.monotonic() - started < 2
        assert idle.recv(100) == b""
    assert not folder.exists()


REFUSED_COMMANDS = {
    "docker run --privileged busybox true": "`--privileged`",
    "docker run --cap-add NET_ADMIN busybox true": "`--cap-add`",
    "docker run --device /dev/null:/dev/x busybox true": "`--device`",
    "docker run --network host busybox true": "`--network host`",
    "docker run --net=host busybox true": "`--network host`",
    "docker run --pid host busybox true": "`--pid host`",
    "docker run --ipc host busybox true": "`--ipc host`",
    "docker run --uts host busybox true": "`--uts host`",
    "docker run --userns host busybox true": "`--userns host`",
    "docker run --security-opt seccomp=unconfined busybox true": "`--security-opt`",
    "docker run --sysctl net.ipv4.ip_forward=1 busybox true": "`--sysctl`",
    "docker run --cgroup-parent /elsewhere busybox true": "`--cgroup-parent`",
    "docker run -v /etc:/host-etc busybox true": "`-v /etc:/host-etc`",
    "docker run -v /var/run/docker.sock:/var/run/docker.sock busybox true": "Docker engine itself",
    "docker run --mount type=bind,source=/,target=/host busybox true": "`--mount type=bind,source=/`",
    "docker volume create --driver local --opt type=none --opt o=bind --opt device=/etc etc": "/etc",
    "docker run -d --name quiet busybox sleep 60 && docker exec --privileged quiet true": "exec --priv",
    "printf 'FROM busybox\\n' | DOCKER_BUILDKIT=0 docker build --network host -": "build --network host",
    "docker swarm init": "swarm",
    "docker plugin install vieux/sshfs": "plugin",
}


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("command", list(REFUSED_COMMANDS))
def test_each_refusal_as_a_student_types_it(runner: Container, guard: Guard, command: str) -> None:
    before = len(guard.refusals)
    code, _, err = sh(runner, command)
    sh(runner, "docker rm -f quiet >/dev/null 2>&1")
    assert code != 0
    refused = guard.refusals[before:]
    assert refused, f"nothing was refused; the CLI said: {err}"
    assert "Refused" in err and refused[-1].message in " ".join(err.split())
    assert REFUSED_COMMANDS[command].lower() in refused[-1].message.lower()
