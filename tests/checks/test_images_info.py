"""What checks read of an image (ID, layers, unpacked size) is the same on both image stores."""

from __future__ import annotations

import io

import pytest

from grader.checks.images_info import Layer, inspect, unpacked_size
from grader.checks.toolkit import layers_start_with, runs_image
from grader.sandbox.sandbox import Sandbox

PADDING = 12_000_000
"""Bytes of zeros the big image adds: 12 MB unpacked, a few kB compressed."""
BIG = f'FROM busybox:latest\nRUN dd if=/dev/zero of=/padding bs={PADDING} count=1\nCMD ["true"]\n'


def test_the_size_is_the_sum_of_the_history() -> None:
    assert unpacked_size([Layer("COPY", 2_000_000), Layer("CMD", 0), Layer("RUN", 12_000_000)]) == 14_000_000


@pytest.mark.docker
@pytest.mark.slow
def test_an_images_facts_read_alike_on_both_stores(store_sandbox: Sandbox) -> None:
    client = store_sandbox.client
    assert client is not None
    client.images.build(fileobj=io.BytesIO(BIG.encode()), tag="stores-test-big:1", rm=True)
    big, busybox = inspect(client, "stores-test-big:1"), inspect(client, "busybox:latest")
    assert 1_900_000 < busybox.size < 2_100_000, busybox.size
    assert PADDING <= big.size - busybox.size < PADDING + 100_000, (big.size, busybox.size)
    if store_sandbox.image_store == "containerd":  # why the size is not inspect's: compressed there
        assert client.api.inspect_image(big.id)["Size"] < PADDING
    layers_start_with(big, busybox, own=True)
    assert inspect(client, big.id, shown="big").layers == big.layers
    container = client.containers.create("stores-test-big:1")
    try:
        runs_image(container, client.images.get(big.id))
        assert container.attrs["Image"] == big.id
    finally:
        container.remove(force=True)
