"""The sandbox's /proc/sys: read-only, but for engine 28 its network part, whose settings are those of the
network namespace that writes them; 28 needs it to turn IPv6 off on its containers' interfaces (a
container fails to start otherwise). GRADER_SANDBOX_ENGINE=28 runs this on 28.5."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.host.userns import REMAPPED_ROOT
from grader.sandbox.sandbox import CAPABILITIES, SECCOMP_PROFILE, Sandbox
from tests.sandboxes import BUSYBOX, SMALL

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")  # one setting per network namespace


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_proc_sys_is_read_only_but_for_engine_28s_own_network_settings(
    host_engine: docker.DockerClient,
) -> None:
    host_value = SOMAXCONN.read_text()
    with Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), limits=SMALL, userns=False
    ) as sandbox:
        assert sandbox.client is not None
        sandbox.load_images([BUSYBOX])
        box = host_engine.containers.get(sandbox.container_id)
        code, output = box.exec_run(["sh", "-c", "echo 1 > /proc/sys/kernel/core_uses_pid"])
        assert code != 0 and b"Read-only file system" in output, output
        code, output = box.exec_run(["sh", "-c", f"echo 77 > {SOMAXCONN} && cat {SOMAXCONN}"])
        if _major(sandbox_engine.chosen()) < 27:  # 26 needs no writable /proc/sys/net: it stays read-only
            assert code != 0 and b"Read-only file system" in output, output
            return
        assert (code, output) == (0, b"77\n"), output
        assert SOMAXCONN.read_text() == host_value  # the host's own is untouched
        ipv6_off = sandbox.client.containers.run(
            BUSYBOX, ["cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6"], remove=True
        )
        assert ipv6_off == b"1\n"


def _major(image: str) -> int:
    """The engine's major version in a sandbox engine image of the recipe's (28 for another image)."""
    return int(sandbox_engine.versions_of(image).get("docker", "28").split(".")[0])


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_the_masks_go_while_a_process_holds_a_file_under_them(host_engine: docker.DockerClient) -> None:
    """Under a user namespace the entrypoint lifts the masks over /proc and /sys while the grader may be
    exec'ing into the sandbox (`runc init` reads /proc/sys/kernel/cap_last_cap): a mask in use then
    must still go, not stop the sandbox with "umount: /proc/sys: target is busy"."""
    holds = "exec 3</proc/sys/kernel/cap_last_cap; exec /usr/local/bin/sandbox-entrypoint --version"
    output = host_engine.containers.run(
        sandbox_engine.chosen(),
        ["-c", holds],
        entrypoint=["sh"],
        environment={"SANDBOX_USERNS": str(REMAPPED_ROOT)},
        cap_drop=["ALL"],
        cap_add=list(CAPABILITIES),
        security_opt=[f"seccomp={SECCOMP_PROFILE.read_text()}", "apparmor=unconfined"],
        network_disabled=True,
        remove=True,
    )
    assert b"Docker version" in output, output
