"""What an image says about itself, read from the engine without starting a container.

The same on both image stores (grader/sandbox/stores.py): an image's ID is its config's digest on
the classic store and its manifest's on the containerd store, but both name it to the engine
alike; its layers are the DiffIDs of its config on both; its size is its unpacked size on both
(`unpacked_size`), never the inspect `Size`, which on the containerd store of engine 26 is the
size of its compressed blobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import docker


@dataclass(frozen=True)
class Layer:
    """One step of an image's history: the instruction that made it and its size."""

    created_by: str
    size: int


@dataclass(frozen=True)
class ImageInfo:
    """An image's configuration, as `docker image inspect` and `docker history` show it."""

    id: str
    tag: str
    entrypoint: list[str] | None
    cmd: list[str] | None
    exposed_ports: set[str]
    user: str
    workdir: str
    env: dict[str, str]
    labels: dict[str, str]
    size: int
    """Bytes its files take unpacked (`unpacked_size`), on either image store."""
    layers: list[str]
    history: list[Layer] = field(default_factory=list)


def unpacked_size(history: list[Layer]) -> int:
    """The bytes an image's files take unpacked: the sum of its history's layer sizes, as `docker
    history` shows them, which the engine measures on its own store (the classic store's layer
    sizes, the containerd store's snapshot usage) whatever the image's config says."""
    return sum(layer.size for layer in history)


def inspect(client: docker.DockerClient, name: str, *, shown: str | None = None) -> ImageInfo:
    """Everything checks may ask of image `name` (a name or an ID), from inspect and history;
    `shown` is the name it goes by in `tag` (a base image asked for by name, looked up by ID)."""
    attrs = client.api.inspect_image(name)
    config = attrs.get("Config") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    history = [
        Layer(created_by=step.get("CreatedBy", ""), size=int(step.get("Size", 0)))
        for step in reversed(client.api.history(name))
    ]
    return ImageInfo(
        id=attrs["Id"],
        tag=shown or name,
        entrypoint=config.get("Entrypoint"),
        cmd=config.get("Cmd"),
        exposed_ports=set(config.get("ExposedPorts") or {}),
        user=config.get("User") or "",
        workdir=config.get("WorkingDir") or "",
        env=env,
        labels=dict(config.get("Labels") or {}),
        size=unpacked_size(history),
        layers=list((attrs.get("RootFS") or {}).get("Layers") or []),
        history=history,
    )
