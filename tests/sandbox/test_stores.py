"""Which image store a sandbox's engine uses: told by GRADER_IMAGE_STORE, read from `docker info`."""

from __future__ import annotations

import contextlib
import json

import docker
import pytest

from grader.sandbox import stores
from tests.sandboxes import started

CLASSIC = {
    "Driver": "overlay2",
    "DriverStatus": [["Backing Filesystem", "tmpfs"], ["Supports d_type", "true"]],
}
CONTAINERD = {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}


@pytest.mark.parametrize(
    ("value", "store"), [("", "classic"), ("containerd", "containerd"), ("x", "classic")]
)
def test_the_variable_names_the_store(monkeypatch: pytest.MonkeyPatch, value: str, store: str) -> None:
    monkeypatch.setenv(stores.VARIABLE, value)
    assert stores.default() == store


def test_the_store_in_use_is_read_from_the_engines_info() -> None:
    assert stores.in_use(CLASSIC) == "classic"
    assert stores.in_use(CONTAINERD) == "containerd"
    assert stores.in_use({"DriverStatus": None}) == "classic"


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("store", stores.STORES)
def test_the_engine_is_told_its_store_in_so_many_words(
    host_engine: docker.DockerClient, store: stores.ImageStore
) -> None:
    """Engine 29 takes containerd's store on a fresh /var/lib/docker unless told, whatever the user
    namespace (under one it falls back to the classic store): without one, a sandbox asked for the
    classic store did not start on 29. GRADER_SANDBOX_ENGINE=29 runs this on 29."""
    with contextlib.closing(started(host_engine, image_store=store, images=(), userns=False)) as sandbox:
        assert sandbox.client is not None and stores.in_use(sandbox.client.info()) == store
        box = host_engine.containers.get(sandbox.container_id)
        config = json.loads(box.exec_run(["cat", "/run/daemon.json"]).output)
        assert config["features"] == {"containerd-snapshotter": store == "containerd"}
