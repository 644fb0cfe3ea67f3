"""What grading runs left on the host engine, found by their labels, and in the temporary folder
(`grader-<pid>-...`: guards' sockets, workers' copies of submissions, found by their process), and
removing it."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from grader.host import labels

CONFLICT = 409
IN_USE = (403, CONFLICT)  # a network with a container still on it answers 403
KINDS = ("container", "volume", "network")  # removed in this order: containers hold the others
REMOVAL_WAIT_S = 60.0
RETRY_S = 0.2
FOLDER = re.compile(r"grader-([0-9]{1,9})-[A-Za-z0-9_-]+")  # tempfile.mkdtemp(prefix=f"grader-{pid}-...")


@dataclass(frozen=True)
class Leftover:
    kind: str
    name: str
    run_id: str


def find(client: docker.DockerClient, *, everything: bool = False) -> list[Leftover]:
    """Containers, volumes and networks of grading runs whose process is gone (or of all runs)."""
    found: list[Leftover] = []
    # ignore_removed: another run may remove its container while this lists (its own close)
    for container in client.containers.list(all=True, filters={"label": labels.RUN}, ignore_removed=True):
        if everything or _orphaned(container.labels):
            found.append(Leftover("container", container.name, container.labels[labels.RUN]))
    for volume in client.volumes.list(filters={"label": labels.RUN}):
        tags = volume.attrs.get("Labels") or {}
        if everything or _orphaned(tags):
            found.append(Leftover("volume", volume.name, tags[labels.RUN]))
    for network in client.networks.list(filters={"label": labels.RUN}):
        tags = network.attrs.get("Labels") or {}
        if everything or _orphaned(tags):
            found.append(Leftover("network", network.name, tags[labels.RUN]))
    return found


def remove(client: docker.DockerClient, leftovers: list[Leftover], *, wait_s: float = REMOVAL_WAIT_S) -> None:
    """Remove containers first (they hold the volumes and networks), then volumes, then networks.

    A container whose removal is already under way (another process began it) is
    waited for, and a volume or network still in use while its container goes is
    tried again, `wait_s` at most: both would otherwise outlive the call.
    """
    deadline = time.monotonic() + wait_s
    for item in sorted(leftovers, key=lambda leftover: KINDS.index(leftover.kind)):
        _remove_one(client, item, deadline)


def _remove_one(client: docker.DockerClient, item: Leftover, deadline: float) -> None:
    """Remove one container, volume or network; gone already is fine, busy is tried again until
    `deadline`."""
    while True:
        try:
            if item.kind == "container":
                client.containers.get(item.name).remove(force=True, v=True)
            elif item.kind == "volume":
                client.volumes.get(item.name).remove(force=True)
            else:
                client.networks.get(item.name).remove()
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as failed:
            # 409: its removal is under way elsewhere, or (a volume, a network: 403) its container is
            # still going
            if failed.status_code not in IN_USE or time.monotonic() > deadline:
                raise
        time.sleep(RETRY_S)


def of_run(client: docker.DockerClient, run_id: str) -> list[Leftover]:
    """Everything on the engine that carries `run_id`."""
    return [item for item in find(client, everything=True) if item.run_id == run_id]


def stale_folders(*, everything: bool = False) -> list[Path]:
    """The folders grading runs made in the temporary folder (guards' sockets, a lab's runtime,
    workers' copies of submissions) whose process is gone (or of all runs)."""
    found = []
    for folder in Path(tempfile.gettempdir()).glob("grader-*-*"):
        match = FOLDER.fullmatch(folder.name)
        if match is None or folder.is_symlink() or not folder.is_dir():
            continue
        if everything or _gone(int(match.group(1))):
            found.append(folder)
    return sorted(found)


def remove_folders(folders: list[Path]) -> None:
    """Remove `folders` and what they hold; one already gone is fine."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _orphaned(tags: dict[str, str]) -> bool:
    try:
        pid = int(tags.get(labels.OWNER_PID, "0") or 0)
    except ValueError:
        return True
    return _gone(pid)


def _gone(pid: int) -> bool:
    """Whether no process `pid` runs on this machine (a pid of 0 or less never names one)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
