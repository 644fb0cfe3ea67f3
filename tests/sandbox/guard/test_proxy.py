"""The guard in front of a real sandbox engine, used by the docker CLI in a runner as setup.sh uses it."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.guard import Guard, Refusal, policy, proxy
from grader.sandbox.sandbox import Sandbox, SandboxLimits

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
    with Sandbox(host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), limits=SMALL) as sandbox:
        sandbox.load_images(["busybox:latest"])
        yield sandbox


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> str:
    """The sandbox engine's API version (26.1: 1.45, 28.5: 1.51), which the CLI speaks to it."""
    assert sandbox.client is not None
    return str(sandbox.client.version()["ApiVersion"])


@pytest.fixture(scope="module")
def guard(sandbox: Sandbox) -> Iterator[Guard]:
    with Guard(sandbox.socket, allowed_bind_roots=ROOTS) as guard:
        yield guard


@pytest.fixture(scope="module")
def runner(host_engine: docker.DockerClient, sandbox: Sandbox, guard: Guard) -> Iterator[Container]:
    """A container with the docker CLI whose Docker socket is the guard's, like setup.sh's runner."""
    container = host_engine.containers.run(
        sandbox_engine.chosen(),
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
    code, out, _ = sh(runner, script)  # the 26.1 CLI warns on stderr that the classic builder is deprecated
    assert (code, out) == (0, "built\n")


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
def test_privileged_is_refused_with_the_guards_sentence(runner: Container, guard: Guard, api: str) -> None:
    before = len(guard.refusals)
    code, out, err = sh(runner, "docker run --privileged busybox true")
    assert code != 0 and out == ""
    assert f"Error response from daemon: {PRIVILEGED}" in err
    refused = guard.refusals[before:]
    assert [(r.method, r.path, r.message) for r in refused] == [
        ("POST", f"/v{api}/containers/create", PRIVILEGED)
    ]


@pytest.mark.usefixtures("leaves_nothing")
def test_sharing_a_folder_of_the_machine_is_refused(runner: Container, guard: Guard) -> None:
    code, _, err = sh(runner, "docker run -v /etc:/host-etc busybox ls /host-etc")
    assert code != 0
    assert "Refused: `-v /etc:/host-etc` shares the machine's /etc" in err
    assert guard.refusals[-1].message in err


@pytest.mark.usefixtures("leaves_nothing")
def test_a_buildkit_build_from_stdin_passes_the_guard(runner: Container, guard: Guard) -> None:
    before = len(guard.refusals)
    code, _, err = sh(runner, "printf 'FROM busybox\\nRUN echo built\\n' | docker build -q -t stdin -")
    assert code == 0, err  # the Dockerfile reaches BuildKit through the session (`Upload`)
    assert guard.refusals[before:] == []


def _ask(path: Path, request: bytes, *, read: bool = False) -> bytes:
    """Send raw bytes to a unix socket and read until the other side closes (`read`: while sending)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(str(path))
        sender = threading.Thread(target=client.sendall, args=(request,))
        sender.start()
        if not read:
            sender.join()
        answer = b""
        while data := client.recv(65536):
            answer += data
        sender.join()
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


def test_a_request_that_cannot_be_read_is_a_refusal_the_student_is_told_of(tmp_path: Path) -> None:
    """A 400 for malformed HTTP reaches the feedback like a 403, naming what was wrong."""
    fine = b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"
    with Guard(tmp_path / "no-engine.sock") as guard:
        answer = _ask(guard.socket, b"GET /v1.41/containers/json?a=1;b=2 HTTP/1.1\r\nHost: docker\r\n\r\n")
        status, message = _status(answer)
        assert status == 400 and message.startswith("Refused: ") and "`;`" in message
        assert guard.refusals == [Refusal("GET", "/v1.41/containers/json", message)]
        _ask(guard.socket, fine.replace(b"\r\nHost", b"\nHost"))  # a bare LF: no request line read
        assert guard.refusals[-1].message.startswith("Refused: ") and "bare LF" in guard.refusals[-1].message


def test_a_body_that_cannot_be_read_is_a_refusal_of_its_request(tmp_path: Path) -> None:
    head = b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n"
    with Guard(tmp_path / "no-engine.sock") as guard:
        status, message = _status(_ask(guard.socket, head + b"zz\r\n{}\r\n0\r\n\r\n"))
        assert status == 400 and "chunk" in message
        assert guard.refusals == [Refusal("POST", "/v1.41/containers/create", message)]


def test_refusals_kept_for_the_feedback_are_bounded(tmp_path: Path) -> None:
    """A script refused in a loop, each time with a 1 MB configuration, must not fill the grader's memory."""
    bind = "/etc/" + "x" * (policy.MAX_JSON_BODY - 200)
    body = json.dumps({"Image": "busybox", "HostConfig": {"Binds": [f"{bind}:/x"]}}).encode()
    one = _post("/v1.41/containers/create", body).replace(b"Connection: close\r\n", b"")
    count = proxy.MAX_REFUSALS + 20
    with Guard(tmp_path / "no-engine.sock") as guard:
        answer = _ask(guard.socket, one * (count - 1) + _post("/v1.41/containers/create", body), read=True)
        refusals = guard.refusals
    assert answer.count(b"HTTP/1.1 403 Forbidden") == count and len(answer) < count * 2 * proxy.MAX_MESSAGE
    assert len(refusals) == proxy.MAX_REFUSALS + 1
    assert all(len(refusal.message) <= proxy.MAX_MESSAGE for refusal in refusals)
    assert refusals[0].message.startswith("Refused: `-v /etc/xxx") and refusals[0].message.endswith("…")
    assert refusals[-1].message == proxy.MORE_REFUSALS


def _hang_up_after_reading(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)


def test_an_engine_that_answers_no_http_is_no_refusal_of_the_students(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute.bind(str(tmp_path / "mute.sock"))
        mute.listen(1)
        hang_up = threading.Thread(target=lambda: _hang_up_after_reading(mute))
        hang_up.start()
        with Guard(tmp_path / "mute.sock") as guard:
            status, message = _status(_ask(guard.socket, b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"))
            assert guard.refusals == []
        hang_up.join()
    assert status == 502 and "engine" in message


def test_a_client_that_leaves_mid_request_is_no_refusal(tmp_path: Path) -> None:
    """A script killed at its time limit, or a CLI interrupted, sent nothing wrong."""
    with Guard(tmp_path / "no-engine.sock") as guard:
        for cut in (
            b"GET /_ping HTTP/1.1\r\nHost: do",
            b"POST /build HTTP/1.1\r\nContent-Length: 9\r\n\r\nFROM",
        ):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(str(guard.socket))
                client.sendall(cut)
        time.sleep(0.3)
        assert guard.refusals == []


WAITING = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
"""The head of an answer whose body comes when a container exits (`POST /containers/ID/wait`, which the
CLI of Docker 29 sends for every `docker run -d` and leaves open)."""


def _answer_then_wait(listener: socket.socket, closed: threading.Event) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        connection.sendall(WAITING)
        closed.wait(10)


def test_an_answer_the_guards_closing_cuts_short_is_no_engine_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Closing cuts the engine's answers still under way: that is the guard's doing, not the engine's,
    and printed a warning for each container a script on Docker 29 left running."""
    closed = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as engine:
        engine.bind(str(tmp_path / "engine.sock"))
        engine.listen(1)
        waits = threading.Thread(target=_answer_then_wait, args=(engine, closed))
        waits.start()
        with Guard(tmp_path / "engine.sock") as guard, socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(str(guard.socket))
            client.sendall(b"POST /v1.55/containers/x/wait?condition=next-exit HTTP/1.1\r\nHost: d\r\n\r\n")
            assert client.recv(len(WAITING)).startswith(b"HTTP/1.1 200 OK")
        closed.set()
        waits.join()
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] == []


def test_closing_while_a_connection_is_taken_waits_for_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`close` came between a connection's thread being counted and being started, and failed
    ("cannot join thread before it is started"), leaving the guard's folder behind (seen under load)."""
    guard = Guard(tmp_path / "no-engine.sock").__enter__()
    folder, errors = guard.socket.parent, []
    start = threading.Thread.start

    def close() -> None:
        try:
            guard.close()
        except Exception as error:  # what the test looks for
            errors.append(error)

    def start_after_close_began(thread: threading.Thread) -> None:
        if thread.name == "guard-_serve":
            closing = threading.Thread(target=close)
            start(closing)
            closing.join(0.5)  # close runs now, or waits for the guard to count this thread started
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_after_close_began)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(guard.socket))
        deadline = time.monotonic() + 10
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert errors == [] and not folder.exists()


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
    "docker run -p 127.0.0.1:53:53/udp busybox true": "the sandbox's port 53",
    "docker run -p 50-60:53/udp busybox true": "the sandbox's port 53",
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


# Raw requests: what the engine gets is what the guard re-serialised from what it checked.

CREATED = "guard-raw"


def _status(answer: bytes) -> tuple[int, str]:
    """The status code and the JSON message (or the whole body) of the first answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    try:
        return status, json.loads(body)["message"]
    except (ValueError, KeyError, TypeError):
        return status, body.decode(errors="replace")


def _post(target: str, body: bytes, *headers: str) -> bytes:
    lines = ["Host: docker", "Content-Type: application/json", *headers, f"Content-Length: {len(body)}"]
    head = (
        f"POST {target} HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines) + "Connection: close\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
def engine(sandbox: Sandbox) -> Iterator[docker.DockerClient]:
    """The sandbox engine, checked for what the raw requests left, and cleaned of it."""
    assert sandbox.client is not None
    images = {image.id for image in sandbox.client.images.list(all=True)}
    yield sandbox.client
    for container in sandbox.client.containers.list(all=True, filters={"name": CREATED}):
        container.remove(force=True)
    assert {image.id for image in sandbox.client.images.list(all=True)} == images


def _created(engine: docker.DockerClient) -> list[Container]:
    return engine.containers.list(all=True, filters={"name": CREATED})


@pytest.mark.parametrize(
    "line",
    [
        "POST http://docker/v1.41/build?networkmode=host#x HTTP/1.1",
        "POST http://docker/v1.41/build?x=#&networkmode=host HTTP/1.1",
        "POST /v1.41/build?x=#&networkmode=host HTTP/1.1",
        "POST /v1.41/build?x=1;networkmode=host HTTP/1.1",
        "POST /v1.41/build?x=1;version=2 HTTP/1.1",
        "POST /v1.41/containers/x/../../build?networkmode=host HTTP/1.1",
        "POST /v1.41/containers/x/%2e%2e/%2E%2E/build?networkmode=host HTTP/1.1",
        "POST /v1.41/build?networkmode=%ZZ HTTP/1.1",
        "POST docker:2375 HTTP/1.1",
        "POST * HTTP/1.1",
    ],
)
def test_targets_python_and_go_read_apart_are_refused_unsent(
    guard: Guard, engine: docker.DockerClient, line: str
) -> None:
    context = b"FROM busybox\nRUN echo built\n"
    head = f"{line}\r\nHost: docker\r\nContent-Type: application/x-tar\r\nConnection: close\r\n"
    answer = _ask(guard.socket, head.encode() + b"Content-Length: %d\r\n\r\n" % len(context) + context)
    status, message = _status(answer)
    assert status == 400 and message.startswith("Refused: "), answer
    assert b"Connection: close" in answer
    assert guard.refusals[-1].message == message


def test_a_percent_encoded_route_is_judged_as_the_route_it_is(
    guard: Guard, engine: docker.DockerClient
) -> None:
    body = b'{"Image": "busybox", "HostConfig": {"Privileged": true}}'
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/%63ontainers/create?name={CREATED}", body)))
    assert (status, message) == (403, PRIVILEGED)
    assert guard.refusals[-1].path == "/v1.41/containers/create"
    assert _created(engine) == []


def test_an_allowed_request_reaches_the_engine_decoded_and_re_encoded(
    guard: Guard, engine: docker.DockerClient
) -> None:
    body = b' {"Image" : "busybox", "HostConfig": {},\n "Labels": {"word": "caf\\u00e9 \\ud83d\\ude00"}} '
    name = f"{CREATED}%2D1"  # `-` escaped: the engine gets `guard-raw-1`
    status, _ = _status(_ask(guard.socket, _post(f"/v1.41/%63ontainers/create?name={name}", body)))
    assert status == 201
    [container] = _created(engine)
    assert container.name == f"{CREATED}-1"
    assert container.labels["word"] == "café 😀"
    assert not container.attrs["HostConfig"]["Privileged"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"Image": "busybox", "HostConfig": {"Privileged": true}, "HostConfig": {}}',
        b'{"Image": "busybox", "HostConfig": {"Binds": ["/etc:/x"]}, "HostConfig": {"Binds": []}}',
        b'\xef\xbb\xbf{"Image": "busybox", "HostConfig": {"Privileged": true}}',
        b'{"Image": "busybox"}{"HostConfig": {"Privileged": true}}',
        b'{"Image": "busybox"} trailing',
        b'{"Image": "busybox", "Labels": {"\\ud800": "lone"}}',
        b'{"Image": "busybox", "Labels": {"x": "\xff"}}',
        b'{"Image": "busybox", "StopTimeout": NaN}',
    ],
)
def test_a_body_go_would_read_otherwise_is_refused(
    guard: Guard, engine: docker.DockerClient, body: bytes
) -> None:
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body)))
    assert status == 403 and message.startswith("Refused"), message
    assert _created(engine) == []


@pytest.mark.hostile
@pytest.mark.parametrize("host_port", ["53", "053", "50-60", "53/udp"])
def test_a_port_published_on_the_sandboxs_port_53_is_refused_unsent(
    guard: Guard, engine: docker.DockerClient, host_port: str
) -> None:
    """Port 53 of the sandbox's loopback is where an offline sandbox's engine asks for names."""
    binding = {"HostIp": "127.0.0.1", "HostPort": host_port}
    body = json.dumps({"Image": "busybox", "HostConfig": {"PortBindings": {"53/udp": [binding]}}})
    status, message = _status(
        _ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body.encode()))
    )
    assert status == 403 and message.startswith("Refused: `-p "), message
    assert guard.refusals[-1].message == message
    assert _created(engine) == []


@pytest.mark.hostile
def test_an_api_version_of_thousands_of_digits_is_refused_unsent(
    guard: Guard, engine: docker.DockerClient
) -> None:
    """Past 4300 digits Python's int() raises; the guard reads the version as Go does, and refuses it."""
    body = b'{"Image": "busybox"}'
    target = f"/v1.{'9' * 5000}/containers/create?name={CREATED}"
    status, message = _status(_ask(guard.socket, _post(target, body)))
    assert (status, message) == (403, policy.NOT_A_VERSION)
    assert guard.refusals[-1].message == message
    assert _created(engine) == []


def test_keys_the_same_but_for_case_are_refused(guard: Guard, engine: docker.DockerClient) -> None:
    body = b'{"Image": "busybox", "HostConfig": {"Privileged": false, "privileged": true}}'
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body)))
    assert status == 403 and message.startswith("Refused"), message
    assert _created(engine) == []


@pytest.mark.parametrize(
    "headers",
    [
        ("Content-Length: 2", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked, identity",),
        ("Transfer-Encoding: xchunked",),
        ("Content-Length: 2", "Content-Length: 2"),
        ("Content-Length: +2",),
        ("Content-Type: application/json", "X-Folded: a", " b"),
        ("Content-Type: appl\u0130cation/x-www-form-urlencoded",),
    ],
)
def test_framing_and_headers_read_apart_are_refused_unsent(
    guard: Guard, engine: docker.DockerClient, headers: tuple[str, ...]
) -> None:
    head = f"POST /v1.41/containers/create?name={CREATED} HTTP/1.1\r\nHost: docker\r\n"
    request = (head + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode("utf-8") + b"2\r\n{}\r\n0\r\n\r\n"
    status, message = _status(_ask(guard.socket, request))
    assert status == 400 and message.startswith("Refused: "), message
    assert guard.refusals[-1].message == message
    assert _created(engine) == []


def _volume_names(engine: docker.DockerClient) -> set[str]:
    return {volume.name for volume in engine.volumes.list()}


KERNEL_FILES = {"type": "debugfs", "o": " bind", "device": "/submission"}
"""A debugfs volume to the engine (` bind` is no flag to it, and debugfs ignores it), a bind to a
guard that trimmed the flag: the machine's kernel files in a container."""


@pytest.mark.parametrize(
    "options",
    [KERNEL_FILES, {**KERNEL_FILES, "o": "bind "}, {**KERNEL_FILES, "type": "bpf", "o": "ro,\tbind"}],
)
def test_a_volume_of_the_machines_kernel_files_is_refused(
    guard: Guard, engine: docker.DockerClient, options: dict[str, str]
) -> None:
    volumes = _volume_names(engine)
    body = json.dumps({"Name": CREATED, "DriverOpts": options}).encode()
    status, message = _status(_ask(guard.socket, _post("/v1.41/volumes/create", body)))
    assert status == 403 and f"`--opt type={options['type']}`" in message, message
    assert _volume_names(engine) == volumes


def test_a_container_mounting_the_machines_kernel_files_is_refused(
    guard: Guard, engine: docker.DockerClient
) -> None:
    volumes = _volume_names(engine)
    options = {"DriverConfig": {"Name": "local", "Options": KERNEL_FILES}}
    mount = {"Type": "volume", "Source": CREATED, "Target": "/k", "VolumeOptions": options}
    body = json.dumps({"Image": "busybox", "HostConfig": {"Mounts": [mount]}}).encode()
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body)))
    assert status == 403 and "`--mount volume-opt=type=debugfs`" in message, message
    assert _created(engine) == [] and _volume_names(engine) == volumes


@pytest.mark.parametrize("options", ["bind", "rbind,exec", "size=1m,rbind"])
def test_a_tmpfs_that_runc_would_bind_from_beside_the_container_is_refused(
    guard: Guard, engine: docker.DockerClient, options: str
) -> None:
    body = json.dumps({"Image": "busybox", "HostConfig": {"Tmpfs": {"/x": options}}}).encode()
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body)))
    assert (status, message.split(":")[0]) == (403, "Refused"), message
    assert f"`--tmpfs /x:{options}`" in message
    assert _created(engine) == []


def test_a_folder_below_the_probe_toolkit_is_refused_and_never_made(
    host_engine: docker.DockerClient, sandbox: Sandbox, guard: Guard, engine: docker.DockerClient
) -> None:
    """The engine makes a missing source folder: here it would write into the sandbox's own files."""
    body = json.dumps({"Image": "busybox", "HostConfig": {"Binds": ["/grader/probe/made:/x:ro"]}}).encode()
    status, message = _status(_ask(guard.socket, _post(f"/v1.41/containers/create?name={CREATED}", body)))
    assert status == 403 and "/grader/probe/made" in message, message
    assert _created(engine) == []
    code, _ = host_engine.containers.get(sandbox.container_id).exec_run(["test", "-e", "/grader/probe/made"])
    assert code == 1


def test_headers_off_the_allowlist_are_dropped_not_refused(guard: Guard, api: str) -> None:
    headers = "Accept-Encoding: gzip\r\nX-Forwarded-For: 10.0.0.1\r\nTE: trailers\r\nConnection: close\r\n"
    answer = _ask(guard.socket, f"GET /v1.41/version HTTP/1.1\r\nHost: docker\r\n{headers}\r\n".encode())
    status, _ = _status(answer)
    assert status == 200 and f'"ApiVersion":"{api}"'.encode() in answer


class Recorder:
    """A stand-in engine on a unix socket: keeps each request's bytes, answers `200 {}`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[bytes] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._listener.accept()
                with connection:
                    self.requests.append(self._read(connection))
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    @staticmethod
    def _read(connection: socket.socket) -> bytes:
        """One request's bytes as they came: the head, then as many bytes as its Content-Length says."""
        data = b""
        while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
            data += chunk
        length = re.search(rb"\r\nContent-Length: ([0-9]+)\r\n", data)
        end = data.index(b"\r\n\r\n") + 4 + (int(length.group(1)) if length else 0)
        while len(data) < end and (chunk := connection.recv(65536)):
            data += chunk
        return data

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    recorder = Recorder(tmp_path / "engine.sock")
    yield recorder
    recorder.close()


def test_what_the_engine_gets_is_the_guards_rebuilt_request(recorder: Recorder) -> None:
    body = b'{ "Image":"busybox", "HostConfig": {}, "Labels":{"a":"\\u00e9"} }'
    sent = _post(
        "/v1.41/%63ontainers/create?name=a%2Db+c",
        body,
        "user-agent: Docker-Client/20.10.24 (linux)",
        "Accept-Encoding: gzip",
        "X-Forwarded-For: 10.0.0.1",
        "Proxy-Connection: keep-alive",
        "X-Registry-Auth: e30=",
        "Expect: 100-continue",
    )
    with Guard(recorder.path) as guard:
        answer = _ask(guard.socket, sent)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    canonical = b'{"Image":"busybox","HostConfig":{},"Labels":{"a":"\\u00e9"}}'
    assert recorder.requests == [
        b"POST /v1.41/containers/create?name=a-b+c HTTP/1.1\r\n"
        b"Host: docker\r\n"
        b"Content-Type: application/json\r\n"
        b"User-Agent: Docker-Client/20.10.24 (linux)\r\n"
        b"X-Registry-Auth: e30=\r\n"
        b"Content-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (len(canonical), canonical)
    ]


def test_a_query_reaches_the_engine_decoded_and_re_encoded_in_order(recorder: Recorder) -> None:
    target = "/v1.41/containers/json?all=1&&filters=%7B%22name%22:%5B%22a+b%22%5D%7D&x=/&limit"
    with Guard(recorder.path) as guard:
        _ask(guard.socket, f"GET {target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".encode())
    [forwarded] = recorder.requests
    query = "all=1&filters=%7B%22name%22%3A%5B%22a+b%22%5D%7D&x=%2F&limit="
    assert forwarded.startswith(f"GET /v1.41/containers/json?{query} HTTP/1.1\r\n".encode())


def test_an_http_1_0_request_is_forwarded_as_one(recorder: Recorder) -> None:
    kept = b"GET /v1.41/version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    with Guard(recorder.path) as guard:
        answer = _ask(guard.socket, kept + b"GET /_ping HTTP/1.0\r\n\r\n")
    first, _, second = answer.partition(b"{}")
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: keep-alive\r\n" in first
    assert second.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in second
    assert recorder.requests == [
        b"GET /v1.41/version HTTP/1.0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        b"GET /_ping HTTP/1.0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]
