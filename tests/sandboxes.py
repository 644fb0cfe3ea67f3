"""Sandboxes for the tests that need one started by hand (module fixtures, several side by side)."""

from __future__ import annotations

import docker

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.sandbox import Sandbox, SandboxLimits

SMALL = SandboxLimits(memory="512m", disk="256m", pids=256)
BUSYBOX = "busybox:latest"


def started(
    host: docker.DockerClient, limits: SandboxLimits = SMALL, submission: bytes | None = None
) -> Sandbox:
    """A started sandbox with busybox loaded; the caller closes it."""
    sandbox = Sandbox(
        host, sandbox_engine.TAG, run_id=labels.new_run_id(), limits=limits, submission=submission
    )
    sandbox.__enter__()
    try:
        sandbox.load_images([BUSYBOX])
    except BaseException:
        sandbox.close()
        raise
    return sandbox
