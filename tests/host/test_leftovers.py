"""What crashed grading runs leave on the host engine: found by labels, removed; live runs are spared."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

import docker
import docker.errors
import pytest

from grader.host import labels, leftovers
from grader.host.leftovers import Leftover
from tests.conftest import dead_pid

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]

Make = Callable[[str], tuple[str, str]]


@pytest.fixture
def make(host_engine: docker.DockerClient) -> Iterator[Make]:
    """Make a labelled container and volume owned by `pid`; both are removed afterwards."""
    made: list[tuple[str, str]] = []

    def make_owned_by(pid: str) -> tuple[str, str]:
        run_id = labels.new_run_id()
        tags = {**labels.run_labels(run_id), labels.OWNER_PID: pid}
        volume = host_engine.volumes.create(name=f"grader-test-{run_id}", labels=tags)
        made.append(("volume", volume.name))
        container = host_engine.containers.run(
            "busybox:latest",
            ["sleep", "60"],
            name=f"grader-test-{run_id}",
            labels=tags,
            volumes={volume.name: {"bind": "/data", "mode": "rw"}},
            detach=True,
        )
        made.append(("container", container.name))
        return container.name, volume.name

    yield make_owned_by
    for kind, name in sorted(made, key=lambda item: item[0] != "container"):
        try:
            if kind == "container":
                host_engine.containers.get(name).remove(force=True, v=True)
            else:
                host_engine.volumes.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


def _names(found: list[Leftover]) -> set[tuple[str, str]]:
    return {(item.kind, item.name) for item in found}


def test_objects_of_a_dead_run_are_found_and_removed(host_engine: docker.DockerClient, make: Make) -> None:
    container, volume = make(str(dead_pid()))
    found = [item for item in leftovers.find(host_engine) if item.name in {container, volume}]
    assert _names(found) == {("container", container), ("volume", volume)}
    assert len({item.run_id for item in found}) == 1
    leftovers.remove(host_engine, found)
    with pytest.raises(docker.errors.NotFound):
        host_engine.containers.get(container)
    with pytest.raises(docker.errors.NotFound):
        host_engine.volumes.get(volume)


def test_objects_of_a_live_run_are_spared_unless_everything(
    host_engine: docker.DockerClient, make: Make
) -> None:
    container, volume = make(str(os.getpid()))
    assert not _names(leftovers.find(host_engine)) & {("container", container), ("volume", volume)}
    everything = _names(leftovers.find(host_engine, everything=True))
    assert {("container", container), ("volume", volume)} <= everything


@pytest.mark.parametrize("owner", ["", "not-a-pid"])
def test_objects_without_a_valid_owner_pid_count_as_orphaned(
    host_engine: docker.DockerClient, make: Make, owner: str
) -> None:
    container, volume = make(owner)
    assert {("container", container), ("volume", volume)} <= _names(leftovers.find(host_engine))


def test_of_run_finds_exactly_one_runs_objects(host_engine: docker.DockerClient, make: Make) -> None:
    mine = make(str(os.getpid()))
    other = make(str(os.getpid()))
    run_id = host_engine.containers.get(mine[0]).labels[labels.RUN]
    found = leftovers.of_run(host_engine, run_id)
    assert _names(found) == {("container", mine[0]), ("volume", mine[1])}
    assert other[0] not in {item.name for item in found}


def test_removing_what_is_already_gone_is_fine(host_engine: docker.DockerClient) -> None:
    leftovers.remove(
        host_engine,
        [Leftover("container", "grader-test-gone", "x"), Leftover("volume", "grader-test-gone", "x")],
    )


def test_a_volume_whose_container_is_still_going_is_removed_once_it_has_gone(
    host_engine: docker.DockerClient, make: Make
) -> None:
    container, volume = make(str(dead_pid()))
    remover = threading.Timer(1.0, lambda: host_engine.containers.get(container).remove(force=True))
    remover.start()  # as a worker's own clean-up, still under way when the batch's begins
    try:
        leftovers.remove(host_engine, [Leftover("volume", volume, "r")], wait_s=30)
    finally:
        remover.join()
    with pytest.raises(docker.errors.NotFound):
        host_engine.volumes.get(volume)


def test_a_volume_kept_in_use_beyond_the_wait_is_an_error(
    host_engine: docker.DockerClient, make: Make
) -> None:
    _, volume = make(str(dead_pid()))
    with pytest.raises(docker.errors.APIError) as refused:
        leftovers.remove(host_engine, [Leftover("volume", volume, "r")], wait_s=0.5)
    assert refused.value.status_code == leftovers.CONFLICT


class _Busy:
    """A containers or volumes collection whose removals conflict `times` times, then succeed."""

    def __init__(self, status: int, times: int) -> None:
        self.status = status
        self.times = times
        self.tries = 0

    def get(self, name: str) -> _Busy:
        return self

    def remove(self, **options: object) -> None:
        self.tries += 1
        if self.tries <= self.times:
            response = type("Response", (), {"status_code": self.status, "reason": "x", "url": "u"})()
            raise docker.errors.APIError("busy", response=response)  # type: ignore[arg-type]


def test_a_removal_under_way_elsewhere_is_waited_for_and_other_errors_are_raised() -> None:
    client = type("Client", (), {"containers": _Busy(409, 2), "volumes": _Busy(409, 3)})()
    leftovers.remove(client, [Leftover("container", "c", "r"), Leftover("volume", "v", "r")])  # type: ignore[arg-type]
    assert (client.containers.tries, client.volumes.tries) == (3, 4)
    client.containers = _Busy(500, 1)
    with pytest.raises(docker.errors.APIError):
        leftovers.remove(client, [Leftover("container", "c", "r")])  # type: ignore[arg-type]


def test_a_network_of_a_dead_run_is_found_and_removed_after_its_container(
    host_engine: docker.DockerClient,
) -> None:
    """A sandbox's network goes with it: found by its label, removed once the container on it is gone."""
    run_id = labels.new_run_id()
    tags = {**labels.run_labels(run_id), labels.OWNER_PID: str(dead_pid())}
    network = host_engine.networks.create(f"grader-test-{run_id}", internal=True, labels=tags)
    container = host_engine.containers.run(
        "busybox:latest",
        ["sleep", "60"],
        name=f"grader-test-{run_id}",
        labels=tags,
        network=network.name,
        detach=True,
    )
    try:
        found = leftovers.of_run(host_engine, run_id)
        assert _names(found) == {("container", container.name), ("network", network.name)}
        leftovers.remove(host_engine, list(reversed(found)))  # in any order: containers go first
        with pytest.raises(docker.errors.NotFound):
            host_engine.networks.get(network.id)
    finally:
        for remove in (lambda: container.remove(force=True), network.remove):
            with contextlib.suppress(docker.errors.NotFound):
                remove()
