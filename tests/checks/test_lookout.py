"""Lookouts against a real engine: beside a container whose first process reaps nothing (a `sleep`,
as most servers), many commands in a row, time limits, and outputs kept apart."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from grader.checks.lookout import Lookout, Namespace
from grader.checks.shell import CommandTimeout
from grader.host import labels

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]

BUSYBOX = "busybox:latest"


@pytest.fixture
def target(host_engine: docker.DockerClient) -> Iterator[str]:
    """A running container whose process 1, `sleep`, never reaps an orphan."""
    container = host_engine.containers.run(
        BUSYBOX, ["sleep", "600"], detach=True, labels=labels.run_labels(labels.new_run_id())
    )
    try:
        yield str(container.id)
    finally:
        container.remove(force=True)


@pytest.fixture(params=["net", "pid"])
def lookout(
    request: pytest.FixtureRequest, host_engine: docker.DockerClient, target: str
) -> Iterator[Lookout]:
    namespace: Namespace = request.param
    beside = Lookout(host_engine.api, target, host_engine.images.get(BUSYBOX).id, namespace, timeout_s=5)
    try:
        yield beside
    finally:
        beside.close()


def test_a_hundred_commands_in_a_row_each_answer(lookout: Lookout) -> None:
    """A `timeout` wrapping each command left a watcher that nobody reaped: the lookout (32 processes
    at most) could fork no more after about 25 commands."""
    answers = [lookout.run("echo %s", str(number)) for number in range(100)]
    assert [(answer.rc, answer.stdout) for answer in answers] == [(0, f"{n}\n") for n in range(100)]


def test_outputs_and_exit_status_are_kept_apart(lookout: Lookout) -> None:
    answer = lookout.run("echo out; echo err >&2; exit 3")
    assert (answer.rc, answer.stdout, answer.stderr) == (3, "out\n", "err\n")
    assert lookout.check_output("printf %s", "no newline") == "no newline"


def test_a_command_past_its_time_limit_is_stopped_and_the_next_one_runs(lookout: Lookout) -> None:
    with pytest.raises(CommandTimeout, match="did not finish within 1 s"):
        lookout.run("sleep 30", timeout_s=1)
    assert lookout.run("echo next").stdout == "next\n"
    # a new lookout: in the pid namespace it sees all the container's processes, the old lookout's too
    assert "sleep 30" not in lookout.run("ps -o args").stdout, "the stuck command was killed"
