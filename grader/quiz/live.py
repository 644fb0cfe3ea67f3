"""Live probes: the right answer to a live question, read from the student's own engine.

A probe takes a docker client and the question's `args` and returns the answer as text.
When what the question asked the student to create is not there, it raises MissingState,
whose message says what is missing; the caller adds the commands to run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.images import Image

from grader.errors import SubmissionError

Probe = Callable[..., str]
PROBES: dict[str, Probe] = {}


class MissingState(SubmissionError, LookupError):
    """The engine lacks what a live question needs; the message names it."""


def probe(function: Probe) -> Probe:
    """Register `function` as a probe, by its name."""
    PROBES[function.__name__] = function
    return function


@probe
def published_port(client: docker.DockerClient, container: str, port: str) -> str:
    """The host port `container` publishes its `port` (e.g. "3000/tcp") on."""
    ports = _running(client, container).attrs["NetworkSettings"]["Ports"] or {}
    bindings = ports.get(port) or []
    if not bindings:
        raise MissingState(f"Container {container} publishes no port {port}.")
    return str(bindings[0]["HostPort"])


@probe
def layer_count(client: docker.DockerClient, image: str) -> str:
    """How many filesystem layers `image` has (not the rows of `docker history`)."""
    return str(len(_image(client, image).attrs["RootFS"]["Layers"]))


@probe
def main_pid(client: docker.DockerClient, container: str) -> str:
    """The host's process id of the main process of `container`."""
    return str(_running(client, container).attrs["State"]["Pid"])


@probe
def ip_address(client: docker.DockerClient, container: str, network: str) -> str:
    """The IP address `container` has on `network`."""
    networks = _container(client, container).attrs["NetworkSettings"]["Networks"] or {}
    address = (networks.get(network) or {}).get("IPAddress")
    if not address:
        raise MissingState(f"Container {container} is not running on network {network}.")
    return str(address)


@probe
def changed_paths(client: docker.DockerClient, container: str) -> str:
    """How many lines `docker diff` prints for `container`."""
    return str(len(client.api.diff(_container(client, container).id) or []))


@probe
def exit_code(client: docker.DockerClient, container: str) -> str:
    """The exit code of `container`, which must have stopped."""
    state = _container(client, container).attrs["State"]
    if state["Running"]:
        raise MissingState(f"Container {container} is still running; wait for it to stop.")
    return str(state["ExitCode"])


def _container(client: docker.DockerClient, name: str) -> Container:
    return _get(client.containers.get, name, f"There is no container {name} on your engine.")


def _running(client: docker.DockerClient, name: str) -> Container:
    container = _container(client, name)
    if container.status != "running":
        raise MissingState(f"Container {name} is {container.status}, not running.")
    return container


def _image(client: docker.DockerClient, name: str) -> Image:
    return _get(client.images.get, name, f"There is no image {name} on your engine.")


def _get(lookup: Callable[[str], Any], name: str, missing: str) -> Any:
    try:
        return lookup(name)
    except docker.errors.NotFound:
        raise MissingState(missing) from None
