"""Containers that checks start: outputs kept apart, time-bounded, locked down, output bounded."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import Exercise
from grader.sandbox.containers import OUTPUT_CUT_MARK, OUTPUT_LIMIT, RunResult, run_once
from grader.sandbox.sandbox import Sandbox

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUSYBOX = "busybox:latest"


@pytest.fixture(scope="module")
def client(host_engine: docker.DockerClient) -> Iterator[docker.DockerClient]:
    """The engine of one sandbox shared by this module's tests, with busybox loaded."""
    with Sandbox(host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id()) as sandbox:
        sandbox.load_images([BUSYBOX])
        assert sandbox.client is not None
        yield sandbox.client


@pytest.fixture(autouse=True)
def removes_its_containers(client: docker.DockerClient) -> Iterator[None]:
    """Every run is `docker run --rm`: nothing is left in the sandbox after a test."""
    yield
    assert client.containers.list(all=True) == []


def sh(
    client: docker.DockerClient, exercise: Exercise, script: str, timeout_s: float | None = None
) -> RunResult:
    return run_once(client, exercise, BUSYBOX, ("sh", "-c", script), timeout_s=timeout_s)


def interfaces(proc_net_dev: str) -> list[str]:
    """The interface names in a /proc/net/dev listing."""
    return [line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line]


def status_field(proc_status: str, name: str) -> str:
    (value,) = [line.split(":", 1)[1].strip() for line in proc_status.splitlines() if line.startswith(name)]
    return value


def test_stdout_and_stderr_come_back_apart(client: docker.DockerClient, tiny: Exercise) -> None:
    result = sh(client, tiny, "echo out; echo err >&2; echo more out")
    assert (result.exit_code, result.timed_out) == (0, False)
    assert (result.stdout, result.stderr) == ("out\nmore out\n", "err\n")
    assert result.command == "docker run --rm busybox:latest sh -c 'echo out; echo err >&2; echo more out'"


@pytest.mark.parametrize("code", [0, 1, 3, 42])
def test_the_exit_code_comes_back(client: docker.DockerClient, tiny: Exercise, code: int) -> None:
    assert sh(client, tiny, f"exit {code}").exit_code == code


@pytest.mark.parametrize(
    ("script", "runs"),
    [("true", 2), ("exit 3", 2), ("echo said", 1), ("echo said >&2; exit 3", 1), ("sleep 30", 1)],
)
def test_a_run_that_exits_having_printed_nothing_is_run_once_more(
    client: docker.DockerClient, tiny: Exercise, script: str, runs: int
) -> None:
    """The engine may lose what a short program printed (`run_once`): silence is looked at twice,
    but not a run stopped at its time limit."""
    since = time.time()
    sh(client, tiny, script, timeout_s=2)
    started = client.events(
        since=f"{since:.6f}",
        until=f"{time.time():.6f}",
        decode=True,
        filters={"type": "container", "event": "start"},
    )
    assert len(list(started)) == runs


@pytest.mark.timeout(60)
def test_an_endless_container_is_stopped_at_its_time_limit(
    client: docker.DockerClient, tiny: Exercise
) -> None:
    result = sh(client, tiny, "echo started; while true; do sleep 1; done", timeout_s=1)
    assert (result.timed_out, result.exit_code) == (True, None)
    assert result.stdout == "started\n"


@pytest.mark.parametrize(
    ("program", "named"),
    [("no-such-program", "executable file not found"), ("/nope/program", "no such file or directory")],
)
def test_a_missing_executable_is_exit_code_127_with_a_readable_error(
    client: docker.DockerClient, tiny: Exercise, program: str, named: str
) -> None:
    result = run_once(client, tiny, BUSYBOX, (program, "argument"))
    assert (result.exit_code, result.timed_out, result.stdout) == (127, False, "")
    assert result.stderr.startswith("docker: the container could not start:")
    assert program in result.stderr and named in result.stderr


@pytest.mark.parametrize(("run_network", "expected"), [(False, ["lo"]), (True, ["lo", "eth0"])])
def test_containers_have_no_network_unless_the_exercise_asks(
    client: docker.DockerClient, tiny: Exercise, run_network: bool, expected: list[str]
) -> None:
    exercise = dataclasses.replace(tiny, run_network=run_network)
    result = run_once(client, exercise, BUSYBOX, ("cat", "/proc/net/dev"))
    assert result.exit_code == 0
    assert interfaces(result.stdout) == expected


@pytest.mark.parametrize(("capabilities", "effective"), [((), 0), (("NET_ADMIN",), 1 << 12)])
def test_containers_have_no_capabilities_unless_the_exercise_grants_them(
    client: docker.DockerClient, tiny: Exercise, capabilities: tuple[str, ...], effective: int
) -> None:
    exercise = dataclasses.replace(tiny, capabilities=capabilities)
    result = run_once(client, exercise, BUSYBOX, ("cat", "/proc/1/status"))
    assert int(status_field(result.stdout, "CapEff"), 16) == effective
    assert int(status_field(result.stdout, "CapBnd"), 16) == effective


def test_containers_cannot_gain_privileges(client: docker.DockerClient, tiny: Exercise) -> None:
    result = run_once(client, tiny, BUSYBOX, ("cat", "/proc/self/status"))
    assert status_field(result.stdout, "NoNewPrivs") == "1"


def test_a_container_is_bounded_by_the_exercise_memory(client: docker.DockerClient, tiny: Exercise) -> None:
    result = sh(client, tiny, 'head -c 100m /dev/zero | tail >/dev/null; echo "tail exited $?"')
    assert (result.exit_code, result.stdout) == (0, "tail exited 137\n")
    assert "Killed" in result.stderr


@pytest.mark.hostile
@pytest.mark.timeout(60)
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_an_endless_log_flood_comes_back_bounded(
    client: docker.DockerClient, tiny: Exercise, stream: str
) -> None:
    redirect = ">&2" if stream == "stderr" else ""
    result = sh(client, tiny, f"yes flood {redirect}", timeout_s=2)
    flooded = getattr(result, stream)
    assert result.timed_out
    assert 0 < len(flooded) <= OUTPUT_LIMIT
    assert "flood\nflood\n" in flooded


def test_an_output_over_the_limit_keeps_its_end_from_a_line_start(
    client: docker.DockerClient, tiny: Exercise
) -> None:
    line = "x" * 99
    result = sh(client, tiny, f"yes {line} | head -c 200000; echo last line")
    assert (result.exit_code, result.timed_out) == (0, False)
    assert len(result.stdout) <= OUTPUT_LIMIT
    assert result.stdout.startswith(f"{OUTPUT_CUT_MARK}{line}\n")
    assert result.stdout.endswith(f"{line}\nlast line\n")


@pytest.mark.hostile
def test_a_long_output_of_short_lines_keeps_its_end_after_the_logs_rotate(
    client: docker.DockerClient, tiny: Exercise
) -> None:
    result = sh(client, tiny, "echo first line; yes flood | head -c 3000000; echo last line")
    assert (result.exit_code, result.timed_out) == (0, False)
    assert OUTPUT_LIMIT - 100 < len(result.stdout) <= OUTPUT_LIMIT
    assert result.stdout.startswith(f"{OUTPUT_CUT_MARK}flood\n")
    assert result.stdout.endswith("flood\nlast line\n")


def test_a_short_output_comes_back_whole(client: docker.DockerClient, tiny: Exercise) -> None:
    result = sh(client, tiny, "echo one; echo two >&2")
    assert (result.stdout, result.stderr) == ("one\n", "two\n")
