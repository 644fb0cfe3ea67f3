"""The notebooks' assertions about images, on an engine of each image store (a sandbox's, 26.1):
on the containerd store an image's ID is its manifest's digest, a registry may hold an index."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import ClassVar

import docker
import pytest
from docker.models.images import Image

from grader.course.assertions import (
    built_on,
    file_holds,
    hides,
    in_registry,
    no_image,
    same_image,
    secret_nowhere,
)
from grader.sandbox.sandbox import Sandbox

SANDBOX_IMAGES = ("busybox:latest", "registry:2")
"""What `store_sandbox` loads: registry:2 is also an image not built on busybox."""
OTHER = "registry:2"


def _client(sandbox: Sandbox) -> docker.DockerClient:
    assert sandbox.client is not None
    return sandbox.client


@pytest.fixture(scope="module")
def committed(store_sandbox: Sandbox) -> Image:
    """An image committed from a busybox container that wrote a file: busybox's layers and one more."""
    client = _client(store_sandbox)
    container = client.containers.run("busybox:latest", ["touch", "/made"], detach=True)
    container.wait(timeout=30)
    image = client.images.get(container.commit("stores-test-committed", "1").id)
    container.remove(force=True)
    return image


@pytest.mark.docker
@pytest.mark.slow
def test_same_image_and_built_on_read_ids_and_layers(store_sandbox: Sandbox, committed: Image) -> None:
    client = _client(store_sandbox)
    busybox = client.images.get("busybox:latest")
    same_image(busybox, client.images.get(busybox.id))
    same_image(committed, client.images.get("stores-test-committed:1"))
    with pytest.raises(AssertionError, match=r"two different images"):
        same_image(busybox, committed)
    built_on(committed, busybox)
    with pytest.raises(AssertionError, match=r"and none of its own"):
        built_on(busybox, busybox)
    with pytest.raises(AssertionError, match=r"begin with 0 of .*it is not built on"):
        built_on(client.images.get(OTHER), busybox)
    no_image(client, "stores-test-absent:1")
    with pytest.raises(AssertionError, match=r"stores-test-committed:1 still exists \(image sha256:"):
        no_image(client, "stores-test-committed:1")


@pytest.mark.docker
@pytest.mark.slow
def test_hides_reads_the_image_by_its_id(store_sandbox: Sandbox) -> None:
    empty = docker.types.Mount("/var", None, type="volume", no_copy=True)  # anonymous, left empty
    container = _client(store_sandbox).containers.run(
        "busybox:latest", ["sleep", "60"], detach=True, mounts=[empty]
    )
    try:
        hides(container, "/var")
        with pytest.raises(AssertionError, match=r"still shows the image's .*passwd"):
            hides(container, "/etc")
    finally:
        container.remove(force=True, v=True)


@pytest.fixture(scope="module")
def registry_url(store_sandbox: Sandbox) -> Iterator[str]:
    """A registry:2 in the sandbox, reached from here at the sandbox's address, holding busybox
    as stores-test/busybox:1 (pushed by the sandbox's engine, as a student would)."""
    client = _client(store_sandbox)
    container = client.containers.run(OTHER, detach=True, ports={"5000/tcp": None})
    try:
        container.reload()
        port = container.ports["5000/tcp"][0]["HostPort"]
        url = f"http://{store_sandbox.address}:{port}"
        _wait_for(url)
        name = f"localhost:{port}/stores-test/busybox"
        client.images.get("busybox:latest").tag(name, "1")
        for line in client.images.push(name, "1", stream=True, decode=True):
            assert "error" not in line, line
        yield url
    finally:
        container.remove(force=True, v=True)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}/v2/", timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.docker
@pytest.mark.slow
def test_in_registry_knows_the_pushed_image(
    store_sandbox: Sandbox, registry_url: str, committed: Image
) -> None:
    client = _client(store_sandbox)
    in_registry(registry_url, "stores-test/busybox", "1", client.images.get("busybox:latest"))
    with pytest.raises(AssertionError, match=r"busybox:1 in the registry is the image [0-9a-f]{12}, not"):
        in_registry(registry_url, "stores-test/busybox", "1", committed)


SECRET = "stores-test-token-5e0c"


@pytest.mark.docker
@pytest.mark.slow
def test_secret_nowhere_searches_the_saved_layers_and_config(store_sandbox: Sandbox) -> None:
    client = _client(store_sandbox)
    busybox = client.images.get("busybox:latest")
    secret_nowhere(busybox, SECRET.encode())
    write = "printf '%s-%s\\n' stores-test-token 5e0c > /token; : > /empty"  # the secret, not in the command
    maker = client.containers.run("busybox:latest", ["sh", "-c", write], detach=True)
    maker.wait(timeout=30)
    leaky = client.images.get(maker.commit("stores-test-leaky", "1").id)
    label = f"LABEL note={SECRET}-label"
    labelled = client.images.get(maker.commit("stores-test-leaky", "2", changes=[label]).id)
    maker.remove(force=True)
    file_holds(leaky, "/token", SECRET)
    with pytest.raises(AssertionError, match=rf"^/token in stores-test-leaky:1 holds '{SECRET}'$"):
        file_holds(leaky, "/token", "something else")
    with pytest.raises(AssertionError, match=r"^/empty in stores-test-leaky:1 is empty$"):
        file_holds(leaky, "/empty", SECRET)
    with pytest.raises(AssertionError, match=r"has no file /nothing"):
        file_holds(leaky, "/nothing", SECRET)
    in_layer = r"^the secret's value is in stores-test-leaky:1: layer (\d+) of \1 \(made by `sh -c printf "
    in_layer += r".*\) in /token$"
    with pytest.raises(AssertionError, match=in_layer):
        secret_nowhere(leaky, SECRET.encode())
    with pytest.raises(
        AssertionError, match=r"^the secret's value is in stores-test-leaky:2: the image's `Labels` setting$"
    ):
        secret_nowhere(labelled, SECRET.encode() + b"-label")  # in its config only


class _Registry(http.server.BaseHTTPRequestHandler):
    """A registry that holds one index (of one manifest) as `index/x:1`."""

    manifest = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + "c" * 64}}).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps(
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"digest": "../../escape"}, {"digest": digest, "platform": {"os": "linux"}}],
        }
    ).encode()
    answers: ClassVar[dict[str, bytes]] = {
        "/v2/index/x/tags/list": b'{"tags": ["1"]}',
        "/v2/index/x/manifests/1": index,
        f"/v2/index/x/manifests/{digest}": manifest,
    }

    def do_GET(self) -> None:
        body = self.answers.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, *args: object) -> None:
        """Quiet."""


class _Image:
    """What in_registry reads of an image: its ID and names."""

    def __init__(self, image_id: str) -> None:
        self.id, self.short_id, self.tags = image_id, image_id[:19], ["mine:1"]


def test_in_registry_follows_an_index_to_its_manifests() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        in_registry(url, "index/x", "1", _Image("sha256:" + "c" * 64))  # type: ignore[arg-type]
        index_id = "sha256:" + hashlib.sha256(_Registry.index).hexdigest()
        in_registry(url, "index/x", "1", _Image(index_id))  # type: ignore[arg-type]
        with pytest.raises(AssertionError, match=r"is the image cccccccccccc, not mine:1"):
            in_registry(url, "index/x", "1", _Image("sha256:" + "d" * 64))  # type: ignore[arg-type]
    finally:
        server.shutdown()
        server.server_close()
