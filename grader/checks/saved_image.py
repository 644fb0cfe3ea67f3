"""Where a value lies in an image, read from outside it: the engine's `docker save` of the image,
each layer's tar scanned, never a tool of the image itself.

What `docker save` writes is the same in shape on both image stores (an OCI layout with Docker's
`manifest.json` beside it, engine 25 and later; the layers uncompressed on the classic store, as
the registry gave them, gzip too, on the containerd store): `manifest.json` names the config blob
and the layers in order, and the config's history, its steps that made no layer left out, names
the step of the Dockerfile that made each layer. Every file of every layer is searched, what a
later step deleted too (it is still in the image's layers, and in every copy pushed or saved), as
are the names, link targets and extended attributes of the files; the config (ENV, labels, the
command) and its history (where BuildKit writes each `RUN`'s build arguments) are searched apart.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

import docker

from grader.checks import archive

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

SMALL_BLOB = 1 << 20
"""Blobs read whole: the config, the manifests and small layers (the others are streamed)."""
CHUNK = 1 << 20
MIN_FORM = 16
"""Characters of a base64 form searched at least: shorter ones would match by chance."""


@dataclass(frozen=True)
class LayerFind:
    """A layer that holds the value: its place (1-based), the step that made it, and where."""

    number: int
    of: int
    step: str
    paths: tuple[str, ...]


@dataclass
class Search:
    """Where a value was found in an image: its layers, and its config or history."""

    layers: list[LayerFind] = field(default_factory=list)
    config: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


class _ChunkReader(io.RawIOBase):
    """A file over an iterator of byte chunks (the engine's streamed `docker save`)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks: Iterator[bytes] = iter(chunks)
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self.rest:
            self.rest = next(self.chunks, b"")
            if not self.rest:
                return 0
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self.rest))
        view[:size] = self.rest[:size]
        self.rest = self.rest[size:]
        return size


@dataclass(frozen=True)
class SavedImage:
    """The built image, as its engine hands it out: what checks' `saved` fixture gives."""

    client: docker.DockerClient
    image: str
    searched: dict[bytes, Search] = field(default_factory=dict, compare=False)

    def search(self, value: bytes) -> Search:
        """Where `value` lies in the image's layers, config and history (saved once per value)."""
        if value not in self.searched:
            self.searched[value] = search(self.client, self.image, value)
        return self.searched[value]

    def file(self, path: str, *, limit: int = SMALL_BLOB) -> bytes | None:
        """The file at `path` in the image as built (the engine's archive API), None if absent."""
        return archive.image_file(self.client.api, self.image, path, limit=limit)


def forms(value: bytes) -> tuple[bytes, ...]:
    """`value` as it is, in hex, and in base64 at each of its three alignments (the part of the
    encoding that `value` alone decides): the forms a leak most often takes."""
    cores = [base64.b64encode(bytes(shift) + value)[4:-4] for shift in range(3)]
    hexed = value.hex().encode()
    return (value, hexed, hexed.upper(), *(core for core in cores if len(core) >= MIN_FORM))


def search(client: docker.DockerClient, image: str, value: bytes) -> Search:
    """Where `value` (in any of its `forms`) lies in `image`: its saved layers, config and history."""
    needles = forms(value)
    found: dict[str, list[str]] = {}  # blob path -> paths of files holding the value
    small: dict[str, bytes] = {}
    unreadable: list[str] = []
    stream = io.BufferedReader(_ChunkReader(client.api.get_image(image)), CHUNK)
    with tarfile.open(fileobj=stream, mode="r|") as saved:
        for member in saved:
            blob = saved.extractfile(member) if member.isfile() else None
            if blob is None:
                continue
            if member.size <= SMALL_BLOB:
                small[member.name] = blob.read()
                blob = io.BytesIO(small[member.name])
            paths = _layer_paths(blob, needles)
            if paths is None:
                unreadable.append(member.name)
            found[member.name] = paths or []
    return _placed(found, small, unreadable, value)


def _layer_paths(blob: IO[bytes], needles: tuple[bytes, ...]) -> list[str] | None:
    """The paths in the layer tar `blob` whose name, link, attributes or content hold a needle;
    None when `blob` is no tar (a config, a manifest, or a compression tarfile cannot read)."""
    paths = []
    try:
        with tarfile.open(fileobj=blob, mode="r|*") as layer:
            for member in layer:
                meta = f"{member.name}\0{member.linkname}\0{member.pax_headers}".encode()
                content = layer.extractfile(member) if member.isfile() else None
                if _any_in(needles, meta) or (content is not None and _holds(content, needles)):
                    paths.append("/" + member.name.removeprefix("./").lstrip("/"))
    except (tarfile.TarError, EOFError, OSError):
        return None
    return paths


def _any_in(needles: tuple[bytes, ...], data: bytes) -> bool:
    return any(needle in data for needle in needles)


def _holds(content: IO[bytes], needles: tuple[bytes, ...]) -> bool:
    """Whether a file holds a needle, read in chunks (overlapping, so no match falls between two)."""
    keep = max(len(needle) for needle in needles) - 1
    tail = b""
    while chunk := content.read(CHUNK):
        if _any_in(needles, tail + chunk):
            return True
        tail = (tail + chunk)[-keep:] if keep else b""
    return False


def _placed(
    found: dict[str, list[str]], small: dict[str, bytes], unreadable: list[str], value: bytes
) -> Search:
    """The findings by layer, placed with `manifest.json` and the config's history."""
    result = Search()
    try:
        manifest = json.loads(small["manifest.json"])[0]
        config_text = small[manifest["Config"]]
        layers: list[str] = list(manifest["Layers"])
    except (KeyError, IndexError, TypeError, ValueError):
        result.unreadable.append("manifest.json")
        return result
    texts = [form.decode("utf-8", "replace") for form in forms(value)]
    steps = [_masked(step, texts) for step in _layer_steps(json.loads(config_text), len(layers))]
    for number, blob in enumerate(layers, start=1):
        if found.get(blob):
            result.layers.append(LayerFind(number, len(layers), steps[number - 1], tuple(found[blob])))
        elif blob in unreadable:
            result.unreadable.append(f"layer {number} of {len(layers)}")
    result.config = _config_finds(json.loads(config_text), texts)
    return result


def _layer_steps(config: dict[str, object], count: int) -> list[str]:
    """The step that made each layer, from the config's history (its empty layers left out)."""
    made = [_as_written(step.get("created_by")) for step in _history(config) if not step.get("empty_layer")]
    return made if len(made) == count else [""] * count


def _masked(text: str, texts: list[str]) -> str:
    """`text` with every one of `texts` (the value's forms) shown as `<secret>`."""
    for found in texts:
        text = text.replace(found, "<secret>")
    return text


def _as_written(created_by: object) -> str:
    """A history step as the Dockerfile's author wrote it: BuildKit's `RUN /bin/sh -c x # buildkit`
    is `RUN x`."""
    text = str(created_by or "").removesuffix(" # buildkit")
    return re.sub(r"^RUN (\|\d+ (?:\S+=\S* )*)?/bin/sh -c ", "RUN ", text)


def _history(config: dict[str, object]) -> list[dict[str, object]]:
    history = config.get("history")
    return [step for step in history if isinstance(step, dict)] if isinstance(history, list) else []


def _config_finds(config: dict[str, object], texts: list[str]) -> list[str]:
    """Where in the config one of `texts` (the value's forms) is: each setting (ENV, labels, the
    command) or history step holding it, the value itself shown as `<secret>`."""
    settings = config.get("config")
    finds = [
        f"the image's `{name}` setting"
        for name, setting in (settings.items() if isinstance(settings, dict) else [])
        if any(text in json.dumps(setting, ensure_ascii=False) for text in texts)
    ]
    for step in _history(config):
        if any(text in json.dumps(step, ensure_ascii=False) for text in texts):
            finds.append(f"the history of the step `{_masked(str(step.get('created_by', '')), texts)}`")
    return finds
