"""Live probes against the real Docker engine of this machine: they read what the student made."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from grader.quiz import bank
from grader.quiz.answers import check
from grader.quiz.bank import Live
from grader.quiz.live import (
    MissingState,
    changed_paths,
    exit_code,
    ip_address,
    layer_count,
    main_pid,
    published_port,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]

NAME = f"quiz-test-{os.getpid()}"


@pytest.fixture
def sleeper(host_engine: docker.DockerClient) -> Iterator[Container]:
    """A busybox container publishing its port 3000 on a host port the engine picks."""
    container = host_engine.containers.run(
        "busybox", ["sleep", "300"], name=NAME, detach=True, ports={"3000/tcp": None}
    )
    try:
        container.reload()
        yield container
    finally:
        container.remove(force=True)


def test_published_port_is_the_host_port_the_engine_picked(
    host_engine: docker.DockerClient, sleeper: Container
) -> None:
    picked = sleeper.ports["3000/tcp"][0]["HostPort"]
    assert published_port(host_engine, container=NAME, port="3000/tcp") == picked
    with pytest.raises(MissingState, match=rf"Container {NAME} publishes no port 4000/tcp\."):
        published_port(host_engine, container=NAME, port="4000/tcp")


def test_the_bank_question_is_checked_against_the_engine(
    host_engine: docker.DockerClient, sleeper: Container
) -> None:
    question = next(q for q in bank.load("ports").questions if q.live)
    assert question.live is not None
    mine = replace(question, live=replace(question.live, args={**question.live.args, "container": NAME}))
    picked = sleeper.ports["3000/tcp"][0]["HostPort"]
    assert check(mine, picked, client=lambda: host_engine).correct
    assert check(mine, "3000", client=lambda: host_engine).message.endswith(
        f"{picked} (your engine's answer)"
    )


def test_main_pid_is_the_host_pid_not_1(host_engine: docker.DockerClient, sleeper: Container) -> None:
    pid = main_pid(host_engine, container=NAME)
    assert pid == str(sleeper.attrs["State"]["Pid"])
    assert int(pid) > 1


def test_layer_count_counts_rootfs_layers_not_history_rows(host_engine: docker.DockerClient) -> None:
    image = host_engine.images.get("busybox:latest")
    assert layer_count(host_engine, image="busybox:latest") == str(len(image.attrs["RootFS"]["Layers"]))


def test_a_stopped_container_gives_its_exit_code_and_its_changes(host_engine: docker.DockerClient) -> None:
    script = "touch /tmp/a /tmp/b && rm /etc/group; exit 3"
    container = host_engine.containers.run("busybox", ["sh", "-c", script], name=NAME, detach=True)
    try:
        container.wait(timeout=30)
        assert exit_code(host_engine, container=NAME) == "3"
        assert changed_paths(host_engine, container=NAME) == "5"  # C /etc, D /etc/group, C /tmp, A a, A b
        with pytest.raises(MissingState, match=rf"Container {NAME} is exited, not running\."):
            published_port(host_engine, container=NAME, port="3000/tcp")
    finally:
        container.remove(force=True)


def test_ip_address_on_a_network(host_engine: docker.DockerClient) -> None:
    network = host_engine.networks.create(NAME)
    try:
        container = host_engine.containers.run(
            "busybox", ["sleep", "300"], name=NAME, detach=True, network=NAME
        )
        try:
            container.reload()
            expected = container.attrs["NetworkSettings"]["Networks"][NAME]["IPAddress"]
            assert ip_address(host_engine, container=NAME, network=NAME) == expected
            with pytest.raises(MissingState, match="is not running on network bridge"):
                ip_address(host_engine, container=NAME, network="bridge")
        finally:
            container.remove(force=True)
    finally:
        network.remove()


def test_missing_state_says_what_to_run_never_a_traceback(host_engine: docker.DockerClient) -> None:
    with pytest.raises(MissingState, match=rf"There is no container {NAME} on your engine\."):
        main_pid(host_engine, container=NAME)
    with pytest.raises(MissingState, match=r"There is no image quiz-no-such-image:1 on your engine\."):
        layer_count(host_engine, image="quiz-no-such-image:1")
    for topic in bank.load_all():
        for question in topic.questions:
            if question.live:
                gone = replace(question, live=_absent(question.live))
                outcome = check(gone, "1", client=lambda: host_engine)
                assert outcome.status == "unchecked", (topic.id, question.id)
                assert outcome.message.endswith(f"First run:\n{question.live.setup}\nthen answer again.")


def _absent(live: Live) -> Live:
    """The same probe, asked about things that are not on the engine."""
    args = {key: f"quiz-absent-{os.getpid()}{':1' if key == 'image' else ''}" for key in live.args}
    return replace(live, args=args)
