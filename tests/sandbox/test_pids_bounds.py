"""The pids bound the sandbox's engine gives its containers (`docker/`, SandboxLimits.workload_pids), under
attack by a submission's containers (a hostile review; cgroup v1 hosts, read from the host's side)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from grader.sandbox.sandbox import Sandbox
from tests.sandboxes import BUSYBOX, started

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.hostile,
    pytest.mark.skipif(not Path("/sys/fs/cgroup/pids").is_dir(), reason="a cgroup v1 host's layout"),
]


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    shared = started(host_engine)
    yield shared
    shared.close()


def _cgroup(host: docker.DockerClient, sandbox: Sandbox) -> Path:
    """The sandbox's pids cgroup, seen from the host."""
    return Path("/sys/fs/cgroup/pids/docker", host.containers.get(f"grader-sandbox-{sandbox.run_id}").id)


def _count(cgroup: Path) -> int:
    return int((cgroup / "pids.current").read_text())


def test_a_container_cannot_lift_the_bound_from_inside(
    host_engine: docker.DockerClient, store_sandbox: Sandbox
) -> None:
    """Its own cgroup's pids.max is not writable (read-only, or root's of the host under the user
    namespace), and it cannot mount the hierarchy to leave its cgroup; on either image store."""
    assert store_sandbox.client is not None
    script = (
        "echo max > /sys/fs/cgroup/pids/pids.max && echo raised; "
        "mkdir -p /tmp/c && mount -t cgroup -o pids none /tmp/c && echo mounted; "
        "cat /sys/fs/cgroup/pids/pids.max"
    )
    said = store_sandbox.client.containers.run(BUSYBOX, ["sh", "-c", script], remove=True, pids_limit=-1)
    assert b"raised" not in said and b"mounted" not in said, said
    bound = _cgroup(host_engine, store_sandbox) / "docker/pids.max"
    assert bound.read_text().strip() == str(store_sandbox.limits.workload_pids)


@pytest.mark.xfail(
    strict=True,
    reason="containerd's shim of each container (~11 threads) and docker-proxy of each published port "
    "(~6) run in the engine's own cgroup, outside docker/: a few containers publishing port ranges "
    "fill the sandbox's pids with the containers' bound untouched (hostile review, 2026-12-06)",
)
def test_what_a_submissions_containers_make_the_engine_run_counts_in_their_bound(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    assert sandbox.client is not None
    cgroup = _cgroup(host_engine, sandbox)
    outside_before = _count(cgroup) - _count(cgroup / "docker")
    made = [
        sandbox.client.containers.run(
            BUSYBOX,
            ["sleep", "60"],
            detach=True,
            ports={f"{port}/tcp": port for port in range(first, first + 8)},
        )
        for first in (41000, 42000)
    ]
    try:
        outside = _count(cgroup) - _count(cgroup / "docker") - outside_before
    finally:
        for container in made:
            container.remove(force=True)
    assert outside < 16, f"2 containers with 8 ports each: {outside} more processes outside docker/"
