"""Sandboxes for the tests that need one started by hand (module fixtures, several side by side)."""

from __future__ import annotations

from collections.abc import Sequence

import docker

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox import stores
from grader.sandbox.sandbox import Sandbox, SandboxLimits

SMALL = SandboxLimits(memory="512m", disk="256m", pids=256)
BUSYBOX = "busybox:latest"


def started(
    host: docker.DockerClient,
    limits: SandboxLimits = SMALL,
    submission: bytes | None = None,
    *,
    image_store: stores.ImageStore | None = None,
    images: Sequence[str] = (BUSYBOX,),
    userns: bool | None = None,
) -> Sandbox:
    """A started sandbox (on `image_store`, GRADER_IMAGE_STORE's by default; with a user namespace
    where the machine allows one, unless `userns` says) with `images` loaded (busybox by default);
    the caller closes it."""
    sandbox = Sandbox(
        host,
        sandbox_engine.chosen(),
        run_id=labels.new_run_id(),
        limits=limits,
        submission=submission,
        image_store=image_store,
        userns=userns,
    )
    sandbox.__enter__()
    try:
        sandbox.load_images(list(images))
    except BaseException:
        sandbox.close()
        raise
    return sandbox
