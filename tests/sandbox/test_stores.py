"""Which image store a sandbox's engine uses: told by GRADER_IMAGE_STORE, read from `docker info`."""

from __future__ import annotations

import pytest

from grader.sandbox import stores

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
