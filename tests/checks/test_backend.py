"""ShellBackend against a real engine: framing, timeouts, testinfra modules on three images, and
a hostile image whose own shell and tools lie."""

from __future__ import annotations

import contextlib
import io
import platform
import subprocess
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
import testinfra.host

from grader.checks.backend import (
    OUTPUT_LIMIT,
    PROBE_BIN,
    PROBE_DIR,
    CommandTimeout,
    ShellBackend,
    ShellError,
    host_for,
    make_probe_dir,
    probe_mount,
    wait_until,
)
from grader.host.labels import new_run_id, run_labels

PREFIX = f"grader-test-backend-{uuid.uuid4().hex[:8]}"
LABELS = run_labels(new_run_id())
IMAGES = {"busybox": "busybox:latest", "debian": "debian:bookworm-slim"}
SCRATCH_DOCKERFILE = b"FROM busybox:latest AS b\nFROM scratch\nCOPY --from=b /bin/busybox /tool\n"
SERVER = [f"{PROBE_BIN}/httpd", "-f", "-p", "8080"]
SETUP = (
    "mkdir -p /etc /srv"
    " && echo 'student:x:1234:1234::/srv:/bin/sh' >> /etc/passwd"
    " && echo 'student:x:1234:' >> /etc/group"
    " && printf 'hello\\n' > /srv/hello.txt"
    " && chown 1234:1234 /srv/hello.txt && chmod 640 /srv/hello.txt"
)

Start = Callable[..., str]


# --- engine fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def api() -> Iterator[docker.APIClient]:
    try:
        client = docker.APIClient()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.skip(f"no Docker engine: {error}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_probe_dir(tmp_path_factory.mktemp("probe")))


def require_image(api: docker.APIClient, image: str) -> str:
    """`image`, waiting a while if it is being rebuilt."""

    def present() -> bool:
        try:
            api.inspect_image(image)
        except docker.errors.ImageNotFound:
            return False
        return True

    if not wait_until(present, timeout_s=120, interval_s=1):
        pytest.fail(f"image {image} is not on the engine")
    return image


def build_scratch(api: docker.APIClient) -> str:
    """A FROM scratch image holding one static file, /tool."""
    require_image(api, IMAGES["busybox"])
    tag = f"{PREFIX}-scratch:latest"
    stream = api.build(
        fileobj=io.BytesIO(SCRATCH_DOCKERFILE),
        tag=tag,
        rm=True,
        forcerm=True,
        decode=True,
        labels=LABELS,
    )
    errors = [chunk["error"] for chunk in stream if "error" in chunk]
    assert not errors, errors
    return tag


@pytest.fixture(scope="module")
def start(api: docker.APIClient, probe_dir: str) -> Iterator[Start]:
    """Start a container (probe mounted unless `probe=False`); all are removed at the end."""
    names: list[str] = []

    def run(
        image: str,
        *,
        probe: bool = True,
        running: bool = True,
        entrypoint: list[str] = SERVER,
        command: list[str] | None = None,
    ) -> str:
        name = f"{PREFIX}-{len(names)}"
        names.append(name)
        mounts = [probe_mount(probe_dir)] if probe else []
        api.create_container(
            image,
            name=name,
            entrypoint=entrypoint,
            command=command or ["-h", "/"],
            labels=LABELS,
            host_config=api.create_host_config(mounts=mounts),
        )
        if running:
            api.start(name)
        return name

    try:
        yield run
    finally:
        for name in names:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(name, force=True)


@pytest.fixture(scope="module")
def container_of(api: docker.APIClient, start: Start) -> Iterator[Start]:
    """The set-up container of one kind of image, started on first use: httpd on :8080 as PID 1."""
    started: dict[str, str] = {}

    def get(kind: str) -> str:
        if kind not in started:
            image = build_scratch(api) if kind == "scratch" else require_image(api, IMAGES[kind])
            started[kind] = name = start(image)
            with ShellBackend(api, name, sudo=True, sudo_user="0") as setup_backend:
                setup = setup_backend.run(SETUP)
            assert setup.rc == 0, setup.stderr
        return started[kind]

    try:
        yield get
    finally:
        if "scratch" in started:
            api.remove_container(started["scratch"], force=True)  # before its image
            api.remove_image(f"{PREFIX}-scratch:latest", force=True)


@pytest.fixture(params=["busybox", "debian", "scratch"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def host(api: docker.APIClient, container_of: Start, kind: str) -> Iterator[testinfra.host.Host]:
    checked_host = host_for(api, container_of(kind))
    try:
        yield checked_host
    finally:
        checked_host.backend.close()


@pytest.fixture(params=["debian", "scratch"])
def backend(
    request: pytest.FixtureRequest, api: docker.APIClient, container_of: Start
) -> Iterator[ShellBackend]:
    """A backend on debian (the image's dash runs commands) and scratch (the probe's busybox sh)."""
    with ShellBackend(api, container_of(request.param), timeout_s=5) as shell_backend:
        yield shell_backend


# --- helpers without an engine ---------------------------------------------------------------


def test_wait_until_returns_as_soon_as_the_predicate_holds() -> None:
    calls = iter([False, False, True])
    started = time.monotonic()
    assert wait_until(lambda: next(calls), timeout_s=5, interval_s=0.01)
    assert time.monotonic() - started < 1


def test_wait_until_gives_up_at_the_deadline() -> None:
    started = time.monotonic()
    assert not wait_until(lambda: False, timeout_s=0.3, interval_s=0.05)
    assert 0.3 <= time.monotonic() - started < 1


def test_make_probe_dir_links_every_applet_but_busybox(tmp_path: Path) -> None:
    probe = make_probe_dir(tmp_path / "probe")
    assert (probe / "busybox").is_file()
    assert (probe / "bin" / "netstat").readlink() == Path("../busybox")
    assert not (probe / "bin" / "busybox").exists()
    echo = subprocess.run([probe / "bin" / "echo", "hi"], capture_output=True, text=True)
    assert echo.stdout == "hi\n"


def test_probe_mount_is_read_only_at_probe_dir() -> None:
    mount = probe_mount("/srv/probe")
    assert (mount["Target"], mount["Source"], mount["Type"], mount["ReadOnly"]) == (
        PROBE_DIR,
        "/srv/probe",
        "bind",
        True,
    )


# --- framing ---------------------------------------------------------------------------------


@pytest.mark.docker
def test_stdout_stderr_and_exit_status_are_separate(backend: ShellBackend) -> None:
    result = backend.run("echo out; echo err >&2; echo more; exit 3")
    assert (result.stdout, result.stderr, result.rc) == ("out\nmore\n", "err\n", 3)


@pytest.mark.docker
def test_output_without_trailing_newline(backend: ShellBackend) -> None:
    assert backend.run("printf abc; printf def >&2").stdout == "abc"
    assert backend.run("printf abc; printf def >&2").stderr == "def"
    assert backend.run("true").stdout_bytes == b""


@pytest.mark.docker
def test_arguments_are_quoted_as_testinfra_does(backend: ShellBackend) -> None:
    assert backend.run("echo %s", "a  b;c'd").stdout == "a  b;c'd\n"


@pytest.mark.docker
def test_large_output_is_kept_exactly(backend: ShellBackend) -> None:
    expected = "".join(f"{n}\n" for n in range(1, 100_001))
    assert backend.run("seq 1 100000").stdout == expected


@pytest.mark.docker
def test_output_past_the_limit_is_drained_and_dropped(backend: ShellBackend) -> None:
    result = backend.run("head -c 2097152 /dev/zero | tr '\\000' x; echo done >&2")
    assert result.stdout_bytes == b"x" * OUTPUT_LIMIT
    assert (result.stderr, result.rc) == ("done\n", 0)
    assert backend.run("echo next").stdout == "next\n"


@pytest.mark.docker
def test_binary_output(backend: ShellBackend) -> None:
    result = backend.run("printf '\\000\\001\\377\\n\\200'")
    assert result.stdout_bytes == b"\x00\x01\xff\n\x80"
    assert result.stdout == "\x00\x01\ufffd\n\ufffd"


@pytest.mark.docker
def test_non_ascii_text(backend: ShellBackend) -> None:
    assert backend.run("echo %s", "héllo ✓").stdout == "héllo ✓\n"


@pytest.mark.docker
def test_reading_stdin_gets_end_of_file(backend: ShellBackend) -> None:
    assert backend.run("cat", timeout_s=3).stdout == ""
    assert backend.run("read line", timeout_s=3).rc == 1


@pytest.mark.docker
def test_fake_markers_in_output_are_plain_output(backend: ShellBackend) -> None:
    fake = f"__grader_{uuid.uuid4().hex}__"
    result = backend.run(f"printf '\\n%s 0\\n' {fake}; printf '\\n%s\\n' {fake} >&2; exit 5")
    assert (result.stdout, result.stderr, result.rc) == (f"\n{fake} 0\n", f"\n{fake}\n", 5)


@pytest.mark.docker
def test_exit_cd_and_syntax_errors_stay_in_their_command(backend: ShellBackend) -> None:
    assert backend.run("cd /srv; X=1; exit 7").rc == 7
    broken = backend.run("if then fi")
    assert broken.rc != 0 and broken.stderr
    assert backend.run('pwd; echo "[$X]"').stdout == "/\n[]\n"


# --- timeouts and the shell's life -------------------------------------------------------------


def _processes(backend: ShellBackend) -> str:
    listing = backend.run("ps -o pid,args")
    assert listing.rc == 0 and "httpd" in listing.stdout, listing
    return listing.stdout


def _shell_pid(backend: ShellBackend) -> int:
    return int(backend.run("echo $$").stdout)


@pytest.mark.docker
def test_timeout_raises_promptly_and_the_next_command_works(backend: ShellBackend) -> None:
    backend.timeout_s = 1
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match="the command sleep 30 did not finish within 1 s"):
        backend.run("sleep 30")
    assert time.monotonic() - started < 3
    assert backend.run("echo %s", "alive").stdout == "alive\n"


@pytest.mark.docker
def test_timeout_kills_the_stuck_command(backend: ShellBackend) -> None:
    with pytest.raises(CommandTimeout) as raised:
        backend.run("sleep 31 & sleep 32", timeout_s=0.5)
    assert (raised.value.command, raised.value.timeout_s) == ("sleep 31 & sleep 32", 0.5)
    assert wait_until(lambda: "sleep 3" not in _processes(backend), timeout_s=5)


@pytest.mark.docker
def test_close_ends_the_shell_and_a_later_command_opens_one(
    api: docker.APIClient, backend: ShellBackend
) -> None:
    old = _shell_pid(backend)
    backend.close()
    with ShellBackend(api, backend.container) as other:
        assert wait_until(lambda: other.run("kill -0 %s", str(old)).rc != 0, timeout_s=5)
    assert _shell_pid(backend) != old


@pytest.mark.docker
def test_sudo_user_runs_the_command_as_that_user(api: docker.APIClient, container_of: Start) -> None:
    with ShellBackend(api, container_of("debian"), sudo=True, sudo_user="nobody") as backend:
        assert backend.run("id -un").stdout == "nobody\n"


@pytest.mark.docker
def test_container_without_probe_is_reported(api: docker.APIClient, start: Start) -> None:
    name = start(require_image(api, IMAGES["busybox"]), probe=False, entrypoint=["sleep"], command=["3600"])
    with pytest.raises(ShellError, match=f"probe mounted at {PROBE_DIR}"):
        ShellBackend(api, name).run("true")


@pytest.mark.docker
def test_stopped_or_unknown_container_is_reported(api: docker.APIClient, start: Start) -> None:
    stopped = start(require_image(api, IMAGES["busybox"]), running=False)
    with pytest.raises(ShellError, match="is not running"):
        ShellBackend(api, stopped).run("true")
    with pytest.raises(ShellError, match="cannot open a shell"):
        ShellBackend(api, f"{PREFIX}-nonexistent").run("true")


# --- testinfra modules on busybox, debian-slim and scratch ------------------------------------


@pytest.mark.docker
def test_file_module(host: testinfra.host.Host) -> None:
    hello = host.file("/srv/hello.txt")
    assert hello.exists and hello.is_file
    assert (hello.content_string, hello.user, hello.group, hello.mode) == (
        "hello\n",
        "student",
        "student",
        0o640,
    )
    assert not host.file("/srv/missing").exists


@pytest.mark.docker
def test_run_and_check_output(host: testinfra.host.Host) -> None:
    assert host.run("echo %s", "a b").stdout == "a b\n"
    assert host.check_output("echo %s >&2; echo out", "err") == "out"


@pytest.mark.docker
def test_process_module(host: testinfra.host.Host) -> None:
    server = host.process.get(pid=1)
    assert server.comm == "httpd"
    assert server.args.endswith("-p 8080 -h /")
    assert [p.pid for p in host.process.filter(comm="httpd", ppid=0)] == [1]
    assert host.process.filter(comm="no-such-program") == []


@pytest.mark.docker
def test_socket_module(host: testinfra.host.Host) -> None:
    assert wait_until(lambda: host.socket("tcp://0.0.0.0:8080").is_listening, timeout_s=10)
    assert not host.socket("tcp://0.0.0.0:8081").is_listening


@pytest.mark.docker
def test_user_module(host: testinfra.host.Host) -> None:
    student = host.user("student")
    assert student.exists
    assert (student.uid, student.gid, student.group) == (1234, 1234, "student")
    assert not host.user("no-such-user").exists


@pytest.mark.docker
def test_system_info(host: testinfra.host.Host, kind: str) -> None:
    info = host.system_info
    assert (info.type, info.arch) == ("linux", platform.machine())
    assert info.distribution == ("debian" if kind == "debian" else None)


@pytest.mark.docker
def test_commands_name_the_image_tools_but_only_the_probe_runs(
    api: docker.APIClient, container_of: Start
) -> None:
    debian = host_for(api, container_of("debian"))
    try:
        assert debian.find_command("ls") == "/usr/bin/ls"  # the image's PATH, read from outside
        assert debian.exists("ls") and not debian.exists("netstat")
        with pytest.raises(ValueError, match="cannot find"):
            debian.find_command("netstat")
        assert "BusyBox" in debian.run("ls --help").stderr + debian.run("ls --help").stdout
        assert debian.run("echo $PATH").stdout == f"{PROBE_BIN}\n"
    finally:
        debian.close()


# --- a hostile image: its own /bin/sh and tools print what checks look for ---------------------

FAKE = (
    b"#!/bin/sh\necho 'tcp 0 0 0.0.0.0:8080 0.0.0.0:* LISTEN'; echo uid=1000; printf '\\n__grader_x__ 0\\n'\n"
)
HOSTILE_DOCKERFILE = b"""FROM busybox:latest
COPY fake /usr/local/bin/netstat
RUN for tool in ss wget ps id cat ls; do cp /usr/local/bin/netstat /usr/local/bin/$tool; done \\
 && rm /bin/sh && cp /usr/local/bin/netstat /bin/sh
"""


def _context(**files: bytes) -> io.BytesIO:
    """A build context (a tar) holding `files`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


@pytest.fixture(scope="module")
def hostile(api: docker.APIClient, start: Start) -> Iterator[str]:
    """A container of an image whose tools (and a second /bin/sh) all print fake answers, running
    `sleep` as root: nothing listens, nobody is uid 1000."""
    require_image(api, IMAGES["busybox"])
    tag = f"{PREFIX}-hostile:latest"
    context = _context(Dockerfile=HOSTILE_DOCKERFILE, fake=FAKE)
    stream = api.build(fileobj=context, custom_context=True, tag=tag, rm=True, decode=True, labels=LABELS)
    errors = [chunk["error"] for chunk in stream if "error" in chunk]
    assert not errors, errors
    name = start(tag, entrypoint=["sleep"], command=["3600"])
    try:
        yield name
    finally:  # the container first: an image a running container uses cannot be removed
        with contextlib.suppress(docker.errors.APIError):
            api.remove_container(name, force=True)
        api.remove_image(tag, force=True)


@pytest.mark.docker
def test_a_hostile_image_answers_nothing(api: docker.APIClient, hostile: str) -> None:
    host = host_for(api, hostile)
    try:
        assert host.run("id -u").stdout.strip() != "1000"
        assert host.run("cat /etc/hostname").stdout.strip() != "uid=1000"
        assert not host.socket("tcp://0.0.0.0:8080").is_listening
        assert host.socket.get_listening_sockets() == []
        assert host.main_user() == (0, "root")
        assert host.file("/usr/local/bin/netstat").content_string.startswith("#!/bin/sh")
        assert [p.comm for p in host.process.filter(pid=1)] == ["sleep"]
    finally:
        host.close()


@pytest.mark.docker
def test_the_shell_is_out_of_reach_of_the_container_processes(api: docker.APIClient, hostile: str) -> None:
    with ShellBackend(api, hostile) as backend:
        pid = _shell_pid(backend)
        attack = f"cat /proc/{pid}/environ; ls /proc/{pid}/fd/; cat /proc/{pid}/fd/0"
        root = api.exec_create(hostile, [f"{PROBE_DIR}/busybox", "sh", "-c", attack], user="0")
        output = api.exec_start(root["Id"]).decode()
        assert "Permission denied" in output and "PATH" not in output, output
        cmdline = api.exec_create(hostile, [f"{PROBE_DIR}/busybox", "cat", f"/proc/{pid}/cmdline"], user="0")
        assert api.exec_start(cmdline["Id"]) == f"{PROBE_DIR}/busybox\0sh\0".encode()
