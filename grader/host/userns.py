"""Whether this machine lets a sandbox's engine run its containers in a user namespace.

The sandbox's nested engine runs `--userns-remap`: a student container's root is REMAPPED_ROOT on
the host, never the host's root. That needs a cgroup v1 host (the sandbox's entrypoint moves v1
hierarchies only), a host engine that is neither rootless nor remapped itself, and a kernel that
allows user namespaces.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import docker

REMAPPED_ROOT = 1_700_000_000
"""The host uid (and gid) of a nested container's root under the user namespace: the first of the 65536
the sandbox's engine maps (`dockremap` in the sandbox's /etc/subuid, written by its entrypoint). Above
the ranges Debian's useradd hands users (up to 600100000), so no login's rootless containers share it."""

MAPPED_IDS = 65536  # how many ids the sandbox's engine maps, from REMAPPED_ROOT on


def as_seen_inside(number: int) -> int:
    """A uid or gid as a nested container sees it: under the user namespace the engine's archive API
    gives the host's (REMAPPED_ROOT + id); no id inside a container reaches that range."""
    return number - REMAPPED_ROOT if REMAPPED_ROOT <= number < REMAPPED_ROOT + MAPPED_IDS else number


_userns_checked = threading.Lock()
_userns_reasons: dict[str, str] = {}


def userns_support(host: docker.DockerClient) -> str:
    """Why sandboxes on this engine run without a user namespace ("" when they run with one); asked
    once a process and engine."""
    with _userns_checked:
        if host.api.base_url not in _userns_reasons:
            _userns_reasons[host.api.base_url] = userns_obstacle(host.info())
        return _userns_reasons[host.api.base_url]


def userns_obstacle(info: dict[str, Any]) -> str:
    """What in the host engine's `info` (or this kernel) keeps the sandbox's engine from a user
    namespace; "" when nothing does."""
    options = " ".join(info.get("SecurityOptions") or [])
    if str(info.get("CgroupVersion", "1")) != "1":
        return (
            "the host uses cgroup v2; the sandbox's entrypoint moves cgroup v1 hierarchies only, "
            "so a remapped nested engine could not run its containers"
        )
    if "name=rootless" in options or "name=userns" in options:
        return "the host engine itself runs rootless or remapped: its containers cannot map more users"
    if _max_user_namespaces() == 0:
        return "the kernel allows no user namespaces (user.max_user_namespaces is 0)"
    return ""


def _max_user_namespaces() -> int | None:
    try:
        return int(Path("/proc/sys/user/max_user_namespaces").read_text())
    except (OSError, ValueError):
        return None
