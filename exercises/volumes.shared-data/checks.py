"""Checks for volumes.shared-data: two busybox containers sharing one anonymous volume.

    vol1  running, an anonymous volume at /shared-data   (-v /shared-data)
    vol2  started with --volumes-from vol1 (running or not), wrote /shared-data/hello.txt

What is shared is read from `docker inspect`: each container's Mounts (a volume's Name is
a 64-hex id Docker made up when the volume is anonymous, and the name given when it is
named) and vol2's HostConfig.VolumesFrom (as typed: a name or an id, `:ro` or `:rw` at
the end). The file is read from vol1 by the engine (`docker cp`'s archive API), as vol1 has
it: nothing vol1 runs answers. No folder of the machine may be bound into
either container (a sandbox refuses bind mounts anyway; on a live engine it is checked).
"""

from __future__ import annotations

import re
from typing import Any

import docker.errors
from docker.models.containers import Container

from grader.checks.toolkit import Environment, Problems, check

VOL1, VOL2 = "vol1", "vol2"
TARGET = "/shared-data"
FILE = f"{TARGET}/hello.txt"
TEXT = "hello from vol2"
ANONYMOUS = re.compile(r"[0-9a-f]{64}")
SHOWN = 200  # characters of a wrong file shown


def _mounts(container: Container) -> list[dict[str, Any]]:
    return list(container.attrs.get("Mounts") or [])


def _at(container: Container, destination: str) -> dict[str, Any] | None:
    """The mount of `container` at `destination`, if any."""
    for mount in _mounts(container):
        if mount.get("Destination", "").rstrip("/") == destination:
            return mount
    return None


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _binds(container: Container) -> str | None:
    """Which folders of the machine `container` binds, in words, or None."""
    binds = [m for m in _mounts(container) if m.get("Type") == "bind"]
    if not binds:
        return None
    each = [f"{m.get('Source')} at {m.get('Destination')}" for m in binds]
    return f"{container.name} binds a folder of the machine (a bind mount, not a volume): {_listed(each)}"


def _volumes_from(env: Environment, container: Container, source: Container) -> list[str]:
    """The entries of `container`'s --volumes-from that name `source` (by name or id)."""
    found = []
    for entry in container.attrs["HostConfig"].get("VolumesFrom") or []:
        reference = entry.rsplit(":", 1)[0] if entry.endswith((":ro", ":rw")) else entry
        try:
            if env.client.containers.get(reference).id == source.id:
                found.append(entry)
        except docker.errors.APIError:  # no such container (or an ambiguous id prefix)
            continue
    return found


def _shown(text: str) -> str:
    lines = text.splitlines() or [""]
    first = lines[0][:SHOWN]
    more = f" (and {len(lines) - 1} more line(s))" if len(lines) > 1 else ""
    return f"“{first}”{more}"


@check(
    points=3,
    expected=f"{VOL1} is running, with an anonymous volume (one you gave no name) at {TARGET}, "
    "and binds no folder of the machine.",
    hint="`docker run -d --name vol1 -v /shared-data busybox sleep 3600`: a `-v` with only a path "
    "in the container makes an anonymous volume. `-v NAME:/shared-data` makes a named volume, "
    "`-v /host/folder:/shared-data` binds a folder of the machine.",
    reproduce="docker ps -a --filter name=vol1 ; docker inspect -f '{{json .Mounts}}' vol1",
)
def test_vol1_has_anonymous_volume(env: Environment) -> None:
    vol1 = env.container(VOL1)
    with Problems() as problems:
        with problems.collect():
            env.running(VOL1)
        problems.add(_anonymous_volume(vol1))
        problems.add(_binds(vol1))


def _anonymous_volume(vol1: Container) -> str | None:
    """What is wrong with vol1's mount at TARGET, but a bind (said with every bind), or None."""
    mount = _at(vol1, TARGET)
    if mount is None:
        others = [m.get("Destination", "") for m in _mounts(vol1)]
        return f"{VOL1} has no volume at {TARGET}" + (
            f" (it has mounts at {_listed(others)})" if others else ""
        )
    if mount.get("Type") == "bind":
        return None
    if mount.get("Type") != "volume":
        return f"{VOL1}'s {TARGET} is a {mount.get('Type')} mount, not a volume"
    if not ANONYMOUS.fullmatch(mount.get("Name", "")):
        return f"{VOL1}'s {TARGET} is the named volume {mount.get('Name')}, not an anonymous one"
    return None


@check(
    points=3,
    expected=f"A container {VOL2} (running or not) was started with `--volumes-from {VOL1}`, "
    f"so its {TARGET} is {VOL1}'s volume, and it binds no folder of the machine.",
    hint="`docker run --name vol2 --volumes-from vol1 busybox sh -c '...'` mounts every volume "
    "of vol1 at the same path in vol2. Keep vol2 afterwards (no `--rm`): the grader reads how it "
    "was started. A `-v /shared-data` of its own would be a second, separate volume.",
    reproduce="docker inspect -f '{{json .HostConfig.VolumesFrom}} {{json .Mounts}}' vol2 ; "
    "docker inspect -f '{{json .Mounts}}' vol1",
)
def test_vol2_uses_volumes_from(env: Environment) -> None:
    vol1, vol2 = env.container(VOL1), env.container(VOL2)
    with Problems() as problems:
        problems.add(_shares_volume(env, vol1, vol2))
        problems.add(_binds(vol2))


def _shares_volume(env: Environment, vol1: Container, vol2: Container) -> str | None:
    """Why vol2's TARGET is not vol1's volume through --volumes-from, or None."""
    if not _volumes_from(env, vol2, vol1):
        given = vol2.attrs["HostConfig"].get("VolumesFrom") or []
        return f"{VOL2} was not started with --volumes-from {VOL1}" + (
            f" (it has --volumes-from {_listed(given)})" if given else ""
        )
    shared, mine = _at(vol1, TARGET), _at(vol2, TARGET)
    if shared is not None and (mine is None or mine.get("Name") != shared.get("Name")):
        return f"{VOL2}'s {TARGET} is not the volume of {VOL1}"
    return None


@check(
    points=4,
    expected=f"Inside {VOL1}, {FILE} holds exactly `{TEXT}` (a newline at the end is fine).",
    hint="Write it from vol2, into the shared folder: `docker run --name vol2 --volumes-from vol1 "
    "busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'` (the `>` must run inside the "
    "container, hence `sh -c '...'`). `--volumes-from vol1:ro` mounts the volume read-only, and the "
    "write fails.",
    reproduce="docker exec vol1 cat /shared-data/hello.txt",
)
def test_vol1_sees_the_file(env: Environment) -> None:
    files = env.host(VOL1).file
    if not files(FILE).is_file:
        folder = files(TARGET)
        names = folder.listdir() if folder.is_directory else None
        where = (
            f"there is no folder {TARGET}"
            if names is None
            else f"{TARGET} holds {_listed(names)}"
            if names
            else f"{TARGET} is empty"
        )
        raise AssertionError(f"inside {VOL1}, there is no {FILE}: {where}")
    text = files(FILE).content.decode(errors="replace")
    if text.removesuffix("\n") == TEXT:
        return
    if not text:
        raise AssertionError(f"inside {VOL1}, {FILE} is empty")
    if text.strip() == TEXT:
        raise AssertionError(f"inside {VOL1}, {FILE} holds {TEXT} with extra spaces or blank lines")
    raise AssertionError(f"inside {VOL1}, {FILE} holds {_shown(text)}")
