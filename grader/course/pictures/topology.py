"""What the pictures read from the engine: which containers are on which networks, and how."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import NotFound
from docker.models.containers import Container
from docker.models.networks import Network

from grader.course.pictures.draw import Box, Scene, ordered

DEFAULT_NETWORKS = frozenset({"bridge", "host", "none", "docker_gwbridge"})


@dataclass
class Topology:
    """Which containers are attached to which network, by name."""

    networks: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_engine(cls, client: docker.DockerClient, *names: str) -> Topology:
        """The running attachments of networks `names` (all user-defined ones if none are named)."""
        chosen = sorted(names) if names else user_networks(client)
        return cls({name: _attached(client, name) for name in chosen})

    def containers(self) -> list[str]:
        """Every container named, sorted."""
        return sorted(set().union(*self.networks.values())) if self.networks else []

    def pairs(self) -> set[tuple[str, str]]:
        """(container, network) for every attachment."""
        return {(name, network) for network, names in self.networks.items() for name in names}


def read_scene(
    client: docker.DockerClient, networks: list[str] | None = None, containers: list[str] | None = None
) -> Scene:
    """What `network_map` draws, read from the engine: the networks, captioned, and the containers."""
    found = _containers(client, containers)
    chosen = sorted(set(networks if networks is not None else _default_networks(client, containers, found)))
    boxes = [
        _box(container, chosen) for container in found if _shown(container, chosen, networks, containers)
    ]
    boxes += [Box(name, {}, note="no such container") for name in _unknown(containers, found)]
    return Scene(
        networks=[(name, _caption(client, name)) for name in chosen],
        boxes=ordered([box for box in boxes if box.addresses], chosen),
        apart=sorted((box for box in boxes if not box.addresses), key=lambda box: box.name),
    )


def user_networks(client: docker.DockerClient) -> list[str]:
    """The names of the engine's user-defined networks, sorted."""
    listed = client.networks.list()
    return sorted(n.name for n in listed if n.name not in DEFAULT_NETWORKS and not n.attrs.get("Ingress"))


def _attached(client: docker.DockerClient, name: str) -> set[str]:
    """The names of the containers running on network `name` (none if there is no such network)."""
    network = _network(client, name)
    containers = (network.attrs.get("Containers") or {}) if network else {}
    return {entry.get("Name", "") for entry in containers.values()} - {""}


def _network(client: docker.DockerClient, name: str) -> Network | None:
    """Network `name` exactly (not an ID prefix), or None."""
    try:
        network = client.networks.get(name)
    except NotFound:
        return None
    return network if network.name == name else None


def _caption(client: docker.DockerClient, name: str) -> str:
    """The driver and subnet under a network's name."""
    network = _network(client, name)
    if network is None:
        return "no such network"
    configs = (network.attrs.get("IPAM") or {}).get("Config") or []
    subnets = [config["Subnet"] for config in configs if config.get("Subnet")]
    return " · ".join([network.attrs.get("Driver") or "", *subnets[:1]]).strip(" ·")


def _containers(client: docker.DockerClient, names: list[str] | None) -> list[Container]:
    """The named containers (those that exist), or all of them."""
    if names is None:
        found: list[Container] = client.containers.list(all=True, ignore_removed=True)
        return found
    return [container for name in sorted(set(names)) if (container := _container_named(client, name))]


def _default_networks(
    client: docker.DockerClient, names: list[str] | None, found: list[Container]
) -> list[str]:
    """All user-defined networks, or those the named containers are on."""
    return user_networks(client) if names is None else _networks_of(found)


def _shown(
    container: Container, chosen: list[str], networks: list[str] | None, names: list[str] | None
) -> bool:
    """Whether a container belongs in the map: named, on a network shown, or running when nothing is named."""
    if names is not None or set(_settings(container).get("Networks") or {}) & set(chosen):
        return True
    return networks is None and container.status == "running"


def _container_named(client: docker.DockerClient, name: str) -> Container | None:
    try:
        return client.containers.get(name)
    except NotFound:
        return None


def _unknown(names: list[str] | None, found: list[Container]) -> list[str]:
    """The names asked for that are not containers."""
    known = {container.name for container in found} | {container.id for container in found}
    return sorted({name for name in names or [] if name not in known})


def _networks_of(containers: Iterable[Container]) -> list[str]:
    """The user-defined networks these containers are on."""
    names = {name for container in containers for name in _settings(container).get("Networks") or {}}
    return sorted(names - DEFAULT_NETWORKS)


def _settings(container: Container) -> dict[str, Any]:
    settings: dict[str, Any] = container.attrs.get("NetworkSettings") or {}
    return settings


def _box(container: Container, networks: list[str]) -> Box:
    """A container as drawn: its addresses on the chosen networks, its published ports, its state."""
    attached = _settings(container).get("Networks") or {}
    addresses = {name: attached[name].get("IPAddress") or "no IP" for name in networks if name in attached}
    others = [
        f"{name} {entry.get('IPAddress')}"
        for name, entry in sorted(attached.items())
        if entry.get("IPAddress")
    ]
    note = container.status if container.status != "running" else ""
    if not addresses and others:
        note = ", ".join([*others, *([note] if note else [])])
    return Box(container.name, addresses, published_ports(_settings(container).get("Ports") or {}), note)


def published_ports(ports: dict[str, list[dict[str, str]] | None]) -> tuple[str, ...]:
    """Published ports as `host→container/proto`, IPv4 and IPv6 twins once."""
    shown: list[str] = []
    for inner, bindings in sorted(ports.items(), key=lambda item: _port_order(item[0])):
        for binding in bindings or []:
            host = binding.get("HostIp", "")
            where = "" if host in ("", "0.0.0.0", "::") else f"{host}:"
            line = f"{where}{binding.get('HostPort', '')}→{inner}"
            if line not in shown:
                shown.append(line)
    return tuple(shown)


def _port_order(port: str) -> tuple[int, str]:
    number, _, protocol = port.partition("/")
    return (int(number) if number.isdigit() else 0, protocol)
