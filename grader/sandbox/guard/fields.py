"""The JSON bodies the guard reads, field by field: every field the engine's API (v1.41, and the harmless
ones of v1.42-v1.51 that newer CLIs send) reads, with its check. A field not in a table is refused.
A container's `HostConfig` fields, and the decisions they embody, are in `host_config`.
null is allowed where Go's field is a pointer, a slice or a map (the CLIs send it for unset ones),
refused where it is a struct or a plain value (HostConfig, LogConfig, RestartPolicy, Memory...).
"""

from __future__ import annotations

import re
from typing import Any

from grader.sandbox.guard.checks import (
    NOT_NEEDED,
    At,
    Check,
    Obj,
    boolean,
    command,
    empty_struct,
    entries,
    integer,
    items,
    labels,
    nullable,
    one_of,
    only,
    struct,
    text,
    texts,
    volume_driver,
    volume_options_refusal,
)
from grader.sandbox.guard.host_config import (
    HOST_CONFIG,
    RESOURCES,
    RESTART_POLICY,
    left_unset,
    not_host,
    whole_numbers,
)

NETWORK_OPTIONS = (
    "com.docker.network.driver.mtu",
    "com.docker.network.bridge.enable_icc",
    "com.docker.network.bridge.enable_ip_masquerade",
    "com.docker.network.bridge.host_binding_ipv4",
)


def _check_volume_options(volume: Obj, at: At) -> str | None:
    for options in volume.get("DriverOpts"):
        found = isinstance(options, Obj) and volume_options_refusal(options, "--opt {}", at.roots)
        if found:
            return found
    return None


HEALTHCHECK = struct(
    {
        "Test": texts,
        "Interval": integer,
        "Timeout": integer,
        "StartPeriod": integer,
        "StartInterval": integer,
        "Retries": integer,
    },
    nullable=True,
)

CONFIG: dict[str, Check] = {
    **dict.fromkeys(("Hostname", "Domainname", "User", "Image", "WorkingDir", "MacAddress"), text),
    **dict.fromkeys(("StopSignal",), text),
    **dict.fromkeys(("AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin"), boolean),
    **dict.fromkeys(("StdinOnce", "ArgsEscaped", "NetworkDisabled"), boolean),
    "ExposedPorts": entries(empty_struct),
    "Env": texts,
    "Cmd": command,
    "Entrypoint": command,
    "Shell": command,
    "OnBuild": texts,
    "Healthcheck": HEALTHCHECK,
    "Volumes": entries(empty_struct),
    "Labels": labels,
    "StopTimeout": nullable(integer),
}
ENDPOINT = struct(
    {
        "IPAMConfig": struct(
            {"IPv4Address": text, "IPv6Address": text, "LinkLocalIPs": texts}, nullable=True
        ),
        **dict.fromkeys(("Links", "Aliases", "DNSNames"), texts),
        "DriverOpts": left_unset(f"`--driver-opt` passes settings to a network driver; {NOT_NEEDED}"),
        **dict.fromkeys(("NetworkID", "EndpointID", "Gateway", "IPAddress", "IPv6Gateway"), text),
        **dict.fromkeys(("GlobalIPv6Address", "MacAddress"), text),
        **dict.fromkeys(("IPPrefixLen", "GlobalIPv6PrefixLen", "GwPriority"), integer),
    },
    nullable=True,
)
_HOST_NETWORK = "`--network host` puts a container on the machine's network; use a network."


def _check_endpoint_names(config: Obj, at: At) -> str | None:
    """No endpoint on the engine's `host` network (the engine reads the names as given)."""
    for endpoints in config.get("EndpointsConfig"):
        names = [name for name, _ in endpoints.pairs] if isinstance(endpoints, Obj) else []
        if any(not not_host(name) for name in names):
            return f"Refused: {_HOST_NETWORK}"
    return None


NETWORKING_CONFIG = struct({"EndpointsConfig": entries(ENDPOINT)}, nullable=True, also=_check_endpoint_names)
_CREATE = struct({**CONFIG, "HostConfig": struct(HOST_CONFIG), "NetworkingConfig": NETWORKING_CONFIG})
_OUTSIDE = {name.casefold() for name in HOST_CONFIG} | {"cpuset"}


COMPOSE_SERVICE = "com.docker.compose.service"  # the label Compose puts on a service's containers


def check_create(document: Any, at: At) -> str | None:
    """A container's configuration, refused naming the Compose service it is for, if any."""
    why = _check_create(document, at)
    service = _compose_service(document)
    if why is None or service is None:
        return why
    return why.replace("Refused: ", f"Refused: compose service `{service}`: ", 1)


SERVICE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}")  # as Compose allows, bounded


def _compose_service(document: Any) -> str | None:
    """The Compose service a container is created for: its label (the key exactly, as Go's maps
    read it), when the name is one Compose allows, else None."""
    labels = document.get("Labels") if isinstance(document, Obj) else []
    names = [v for obj in labels if isinstance(obj, Obj) for k, v in obj.pairs if k == COMPOSE_SERVICE]
    name = names[0] if len(names) == 1 else None
    return name if isinstance(name, str) and SERVICE_NAME.fullmatch(name) else None


def _check_create(document: Any, at: At) -> str | None:
    """A container's configuration: HostConfig's fields inside `HostConfig`, which must be there."""
    if isinstance(document, Obj):
        for key, _ in document.pairs:
            if key.casefold() in _OUTSIDE:
                return (
                    f"Refused: `{key}` is a `HostConfig` field sent outside `HostConfig`; "
                    "the docker CLI never sends that."
                )
        if not document.get("HostConfig"):
            return (
                "Refused: the container's configuration has no `HostConfig`; the docker CLI always sends one."
            )
    return _CREATE(document, at)


EXEC_START = struct({"Detach": boolean, "Tty": boolean, "ConsoleSize": whole_numbers(2)})
EXEC = struct(
    {
        "Container": text,  # the Python SDK's exec_create names it again; the route decides
        "User": text,
        "Privileged": left_unset(f"`docker exec --privileged` gives a command full control; {NOT_NEEDED}"),
        **dict.fromkeys(("Tty", "AttachStdin", "AttachStderr", "AttachStdout", "Detach"), boolean),
        "ConsoleSize": whole_numbers(2),
        "DetachKeys": text,
        "Env": texts,
        "WorkingDir": text,
        "Cmd": command,
    }
)
UPDATE = struct({**RESOURCES, "RestartPolicy": RESTART_POLICY})
_SWARM_NETWORK = (
    f"swarm networks (`--ingress`, `--config-only`, `--config-from`, `--scope swarm`): {NOT_NEEDED}"
)
NETWORK = struct(
    {
        "Name": text,
        "CheckDuplicate": boolean,
        "Driver": only(
            one_of("", "bridge"),
            "`docker network create --driver {value}` reaches past the sandbox; use a bridge network.",
        ),
        "Scope": only(one_of("", "local"), _SWARM_NETWORK),
        **dict.fromkeys(("EnableIPv4", "EnableIPv6"), nullable(boolean)),  # pointers since API 1.47
        **dict.fromkeys(("Internal", "Attachable"), boolean),
        "IPAM": struct(
            {
                "Driver": only(
                    one_of("", "default"), f"`--ipam-driver {{value}}` needs a plugin; {NOT_NEEDED}"
                ),
                "Options": left_unset(f"`--ipam-opt` passes settings to an address plugin; {NOT_NEEDED}"),
                "Config": items(
                    struct(
                        {
                            **dict.fromkeys(("Subnet", "IPRange", "Gateway"), text),
                            "AuxiliaryAddresses": labels,
                        }
                    )
                ),
            },
            nullable=True,
        ),
        "Ingress": left_unset(_SWARM_NETWORK),
        "ConfigOnly": left_unset(_SWARM_NETWORK),
        "ConfigFrom": left_unset(_SWARM_NETWORK),
        "Options": entries(text, keys=NETWORK_OPTIONS),
        "Labels": labels,
    }
)
CONNECT = struct({"Container": text, "EndpointConfig": ENDPOINT})
DISCONNECT = struct({"Container": text, "Force": boolean})
VOLUME = struct(
    {
        "Name": text,
        "Driver": volume_driver("--driver"),
        "DriverOpts": entries(text, keys=("type", "o", "device")),
        "Labels": labels,
    },
    also=_check_volume_options,
)
