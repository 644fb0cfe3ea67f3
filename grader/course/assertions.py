"""Small assertions about Docker objects, for notebook tasks and checks.

Each passes silently or raises AssertionError with a sentence saying what was found,
which is what the student reads.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container
from docker.models.images import Image

from grader.checks import archive, saved_image
from grader.checks.toolkit import NoAnswer, Reply, http_get
from grader.text import shorten


def exited(container: Container, code: int = 0) -> None:
    """`container` has stopped, with exit code `code`."""
    container.reload()
    state = container.attrs["State"]
    if container.status == "running":
        raise AssertionError(f"{container.name} is still running")
    if state.get("ExitCode") != code:
        raise AssertionError(f"{container.name} stopped with exit code {state.get('ExitCode')}")


def printed(container: Container, text: str) -> None:
    """`container`'s output (stdout and stderr) holds `text`."""
    output = container.logs().decode(errors="replace")
    if text not in output:
        shown = shorten(output.strip(), 200) or "nothing"
        raise AssertionError(f"{container.name} printed {shown!r}")


def same_image(first: Image, second: Image) -> None:
    """Both names point at one image."""
    if first.id != second.id:
        raise AssertionError(
            f"{first.tags[0] if first.tags else first.short_id} is {first.short_id}, "
            f"{second.tags[0] if second.tags else second.short_id} is {second.short_id}: two different images"
        )


def _named(image: Image) -> str:
    return str(image.tags[0]) if image.tags else str(image.short_id)


def built_on(image: Image, base: Image) -> None:
    """`image` is built on `base`: its filesystem layers begin with all of base's, and it adds one or more."""
    layers = image.attrs["RootFS"].get("Layers") or []
    below = base.attrs["RootFS"].get("Layers") or []
    shared = 0
    while shared < min(len(layers), len(below)) and layers[shared] == below[shared]:
        shared += 1
    if shared < len(below):
        raise AssertionError(
            f"{_named(image)}'s layers begin with {shared} of {_named(base)}'s {len(below)}: "
            f"it is not built on {_named(base)}"
        )
    if len(layers) == len(below):
        raise AssertionError(f"{_named(image)} has {_named(base)}'s {len(below)} layers and none of its own")


def no_image(client: DockerClient, name: str) -> None:
    """No image is called `name` (a name such as `my-image:v1`, or an ID)."""
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        return
    raise AssertionError(f"{name} still exists (image {image.short_id})")


REGISTRY_MANIFESTS = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    )
)


def _get(url: str, accept: str = "application/json", *, missing: str = "") -> Reply:
    """A registry's 200 answer at `url`; AssertionError saying what came instead."""
    try:
        reply = http_get(url, accept)
    except NoAnswer as error:
        raise AssertionError(f"no registry answers at {url} ({error})") from None
    if reply.status == 404 and missing:
        raise AssertionError(missing)
    if reply.status != 200:
        raise AssertionError(f"{url} answered {reply.status} {reply.reason}")
    return reply


def _get_json(url: str, accept: str = "application/json", *, missing: str = "") -> dict[str, Any]:
    """The JSON object a registry answers at `url` with 200; AssertionError saying what came instead."""
    return _get(url, accept, missing=missing).json(f"GET {url}")


def names_image(manifest: Reply, image_id: str) -> bool:
    """Whether the registry's `manifest` is the image `image_id`: on the classic image store the ID
    is the manifest's configuration digest; on the containerd store it is the digest of the manifest
    (or of the index) itself."""
    digest = "sha256:" + hashlib.sha256(manifest.body).hexdigest()
    config = (manifest.json("the manifest").get("config") or {}).get("digest", "")
    return image_id in (config, digest)


INDEX_ENTRIES = 16
"""Platform manifests of an index read at most (a BuildKit index: one per platform, attestations)."""
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _platform_manifests(url: str, repository: str, index: Reply) -> list[Reply]:
    """The manifests an index (an OCI index, a Docker manifest list) names; [] for a manifest."""
    entries = index.json("the manifest").get("manifests")
    if not isinstance(entries, list):
        return []
    digests = [entry.get("digest") for entry in entries[:INDEX_ENTRIES] if isinstance(entry, dict)]
    return [
        _get(f"{url}/v2/{repository}/manifests/{digest}", REGISTRY_MANIFESTS)
        for digest in digests
        if isinstance(digest, str) and DIGEST.fullmatch(digest)
    ]


def _config_digest(manifests: list[Reply]) -> str:
    """The first configuration digest the manifests name, in 12 digits; `?` when none does."""
    for manifest in manifests:
        digest = str((manifest.json("the manifest").get("config") or {}).get("digest", ""))
        if digest:
            return digest.removeprefix("sha256:")[:12]
    return "?"


def in_registry(url: str, repository: str, tag: str, image: Image | None = None) -> None:
    """The registry at `url` (http://HOST:PORT) lists `tag` in `repository`; with `image`, that tag is it.

    "It is `image`": the tag's manifest, or one of the manifests its index names, is image's
    (`names_image`), on either image store.
    """
    url = url.rstrip("/")
    missing = f"the registry has no repository {repository}"
    found = _get_json(f"{url}/v2/{repository}/tags/list", missing=missing)
    tags = found.get("tags") or []
    if tag not in tags:
        shown = ", ".join(sorted(tags)) or "no tag"
        raise AssertionError(f"the registry's repository {repository} has {shown}, not {tag}")
    if image is None:
        return
    missing = f"{repository}:{tag} has no manifest"
    manifest = _get(f"{url}/v2/{repository}/manifests/{tag}", REGISTRY_MANIFESTS, missing=missing)
    if names_image(manifest, image.id):
        return
    manifests = _platform_manifests(url, repository, manifest)
    if not any(names_image(each, image.id) for each in manifests):
        raise AssertionError(
            f"{repository}:{tag} in the registry is the image {_config_digest([manifest, *manifests])}, "
            f"not {_named(image)} ({image.short_id.removeprefix('sha256:')})"
        )


DIFF_KINDS = {0: "changed", 1: "added", 2: "deleted"}  # the Kind of each entry of `docker diff`


def changed(container: Container, path: str, kind: str) -> None:
    """`docker diff` of `container` shows `path` as `kind`: "added", "changed" or "deleted"."""
    if kind not in DIFF_KINDS.values():
        raise ValueError(f"kind is one of {', '.join(DIFF_KINDS.values())}, not {kind!r}")
    found = {entry["Path"]: DIFF_KINDS.get(entry["Kind"], "?") for entry in container.diff() or []}
    if found.get(path) != kind:
        now = f"shows it {found[path]}" if path in found else "does not list it"
        raise AssertionError(f"docker diff {container.name} {now}")


def mounted(container: Container, destination: str, kind: str = "bind") -> dict[str, Any]:
    """`container` has a mount of type `kind` ("bind", "volume", "tmpfs") at `destination`; returns it."""
    mounts = container.attrs.get("Mounts") or []
    for mount in mounts:
        if mount.get("Destination") == destination:
            if mount.get("Type") != kind:
                raise AssertionError(
                    f"{container.name} has a {mount.get('Type')} mount at {destination}, not a {kind} mount"
                )
            found: dict[str, Any] = mount
            return found
    shown = ", ".join(sorted(m.get("Destination", "?") for m in mounts)) or "none"
    raise AssertionError(f"{container.name} has no mount at {destination} (its mounts: {shown})")


def hides(container: Container, path: str) -> None:
    """What `container`'s image holds in the folder `path` is hidden in the running `container`.

    Both listings come from the engine's archive API, from outside: the image's from a container
    of it that is created, never started, and removed at once; the running container's with its
    mounts. Nothing of the image runs.
    """
    client = container.client
    if client is None:
        raise ValueError("the container has no client")
    container.reload()
    if container.status != "running":
        raise AssertionError(f"{container.name} is not running, so nothing can be seen in it")
    api = client.api
    with archive.unstarted(api, container.image.id) as unstarted:
        below = set(archive.listdir(api, unstarted, path) or ())
    if not below:
        raise AssertionError(f"{container.name}'s image has nothing in {path} that could be hidden")
    seen = archive.listdir(api, str(container.id), path)
    if seen is None:
        raise AssertionError(f"{path} in {container.name} is not a folder")
    still = sorted(below & set(seen))
    if still:
        raise AssertionError(f"{path} in {container.name} still shows the image's {', '.join(still)}")


def file_holds(image: Image, path: str, text: str) -> None:
    """The file `path` in `image` holds `text` (blanks around it ignored), read from outside: nothing
    of the image runs."""
    client = image.client
    if client is None:
        raise ValueError("the image has no client")
    found = archive.image_file(client.api, str(image.id), path, limit=len(text.encode()) + 4096)
    if found is None:
        raise AssertionError(f"{_named(image)} has no file {path}")
    content = found.decode(errors="replace").strip()
    if not content:
        raise AssertionError(f"{path} in {_named(image)} is empty")
    if content != text:
        raise AssertionError(f"{path} in {_named(image)} holds {shorten(content, 120)!r}")


MIN_SECRET = 8


def secret_nowhere(image: Image, secret: bytes) -> None:
    """`secret` is in none of the files `docker save` writes of `image`, as it is, in hex or in
    base64 (`grader.checks.saved_image`, as dockerfiles.secret's checks search): not in a layer, what
    a later step deleted too, nor in its configuration, whose history holds every instruction and
    build argument. The engine's API sends them; nothing of the image runs."""
    if len(secret) < MIN_SECRET:
        raise ValueError(f"a secret of {len(secret)} bytes would be found by chance; {MIN_SECRET} at least")
    client = image.client
    if client is None:
        raise ValueError("the image has no client")
    found = saved_image.search(client, str(image.id), secret)
    where = [
        *(
            f"layer {layer.number} of {layer.of} ({_made_by(layer.step)}) in {', '.join(layer.paths[:3])}"
            for layer in found.layers
        ),
        *found.config,
        *(f"{part}, which could not be read" for part in found.unreadable),
    ]
    if where:
        raise AssertionError(f"the secret's value is in {_named(image)}: " + "; ".join(where))


def _made_by(step: str) -> str:
    return f"made by `{shorten(step, 100)}`" if step else "its step unknown"
