"""The sandbox's /proc/sys: read-only but for its network part, whose settings are those of the network
namespace that writes them; engine 28 needs it to turn IPv6 off on its containers' interfaces (a
container fails to start otherwise). GRADER_SANDBOX_ENGINE=28 runs this on 28.5."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.sandbox import Sandbox
from tests.sandboxes import BUSYBOX, SMALL

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")  # one setting per network namespace


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_only_the_sandboxs_own_network_settings_are_writable_and_its_containers_have_no_ipv6(
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
        assert (code, output) == (0, b"77\n"), output
        assert SOMAXCONN.read_text() == host_value  # the host's own is untouched
        ipv6_off = sandbox.client.containers.run(
            BUSYBOX, ["cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6"], remove=True
        )
        assert ipv6_off == b"1\n"
