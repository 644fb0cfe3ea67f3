"""Files of a container read from outside, through the engine's archive API (what `docker cp` uses).

Nothing runs inside the container: the engine reads its file system (volumes included), so a
tool the image ships cannot answer in the file's place. Paths are resolved by the engine within
the container's root: symbolic links in the middle of a path are followed, the last one is not.
"""

from __future__ import annotations

import base64
import contextlib
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, cast

import docker
import docker.errors

from grader.host.userns import as_seen_inside

STAT_HEADER = "X-Docker-Container-Path-Stat"
MAX_LINKS = 8  # symbolic links followed, one after the other, before giving up

# The type bits of Go's os.FileMode, as the engine reports a path's mode.
_DIR, _SYMLINK, _DEVICE, _PIPE, _SOCKET = 1 << 31, 1 << 27, 1 << 26, 1 << 25, 1 << 24
_SETUID, _SETGID, _CHAR_DEVICE, _STICKY = 1 << 23, 1 << 22, 1 << 21, 1 << 20
_IRREGULAR = 1 << 19
_NOT_REGULAR = _DIR | _SYMLINK | _DEVICE | _PIPE | _SOCKET | _CHAR_DEVICE | _IRREGULAR


@dataclass(frozen=True)
class PathStat:
    """What the engine says of one path in a container (the last symbolic link not followed)."""

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & _DIR)

    @property
    def is_symlink(self) -> bool:
        return bool(self.mode & _SYMLINK)

    @property
    def is_pipe(self) -> bool:
        return bool(self.mode & _PIPE)

    @property
    def is_socket(self) -> bool:
        return bool(self.mode & _SOCKET)

    @property
    def is_file(self) -> bool:
        return not self.mode & _NOT_REGULAR

    @property
    def permissions(self) -> int:
        """The mode as `stat -c %a` shows it: permission bits, with setuid, setgid and sticky."""
        bits = self.mode & 0o777
        for flag, octal in ((_SETUID, 0o4000), (_SETGID, 0o2000), (_STICKY, 0o1000)):
            if self.mode & flag:
                bits |= octal
        return bits


def _url(api: docker.APIClient, container: str) -> str:
    return str(api._url("/containers/{0}/archive", container))


def stat(api: docker.APIClient, container: str, path: str) -> PathStat | None:
    """The engine's stat of `path` in `container`, or None when there is no such path."""
    response = api.head(_url(api, container), params={"path": path})
    if response.status_code == 404:
        return None
    api._raise_for_status(response)
    data = json.loads(base64.b64decode(response.headers.get(STAT_HEADER, "") or b"e30="))
    return PathStat(
        name=str(data.get("name", "")),
        size=int(data.get("size", 0)),
        mode=int(data.get("mode", 0)),
        mtime=str(data.get("mtime", "")),
        link_target=str(data.get("linkTarget", "")),
    )


def resolve(api: docker.APIClient, container: str, path: str) -> tuple[str, PathStat] | None:
    """The path `path` leads to, symbolic links followed, and its stat (None: nothing there)."""
    where = path
    for _ in range(MAX_LINKS):
        found = stat(api, container, where)
        if found is None:
            return None
        if not (found.is_symlink and found.link_target):
            return where, found
        where = found.link_target
    return None


@contextlib.contextmanager
def _members(api: docker.APIClient, container: str, path: str) -> Iterator[tarfile.TarFile | None]:
    """The archive of `path` as a streamed tar (None when there is no such path); closed after."""
    response = api._get(_url(api, container), params={"path": path}, stream=True)
    try:
        if response.status_code == 404:
            yield None
            return
        api._raise_for_status(response)
        response.raw.decode_content = True  # the engine may send the tar gzipped
        with tarfile.open(fileobj=cast(IO[bytes], response.raw), mode="r|") as tar:
            yield tar
    finally:
        response.close()


def read(api: docker.APIClient, container: str, path: str, *, limit: int | None = None) -> bytes | None:
    """The content of the regular file at `path` (links followed), at most `limit` bytes; None when
    there is no such file."""
    resolved = resolve(api, container, path)
    if resolved is None or not resolved[1].is_file:
        return None
    with _members(api, container, resolved[0]) as tar:
        for member in tar or ():
            handle = tar.extractfile(member) if tar is not None and member.isfile() else None
            return (handle.read() if limit is None else handle.read(limit)) if handle else None
    return None


def owner(api: docker.APIClient, container: str, path: str) -> tuple[int, int] | None:
    """(uid, gid) owning `path` itself, from the archive's first entry; None when missing."""
    with _members(api, container, path) as tar:
        for member in tar or ():
            return as_seen_inside(member.uid), as_seen_inside(member.gid)
    return None


def listdir(api: docker.APIClient, container: str, path: str) -> list[str] | None:
    """The names in the folder `path` (links followed), or None when it is no folder."""
    resolved = resolve(api, container, path)
    if resolved is None or not resolved[1].is_dir:
        return None
    names: set[str] = set()
    with _members(api, container, resolved[0]) as tar:
        root: str | None = None
        for member in tar or ():
            name = member.name.strip("/")
            if root is None:  # the folder's own entry comes first: "etc", or "" for /
                root = name
                continue
            relative = name.removeprefix(f"{root}/") if root else name
            names.add(relative.split("/")[0])
    return sorted(names)


@contextlib.contextmanager
def unstarted(api: docker.APIClient, image: str) -> Iterator[str]:
    """A container of `image` that is created, never started, and removed: its files are the image's.

    It carries a HostConfig, as the docker CLI always does, so the guard of an autograded
    notebook's sandbox lets it through."""
    host_config = api.create_host_config(network_mode="none")
    created = api.create_container(image, command=["-"], entrypoint=["/"], host_config=host_config)
    try:
        yield str(created["Id"])
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(created["Id"], force=True)


def image_file(api: docker.APIClient, image: str, path: str, *, limit: int | None = None) -> bytes | None:
    """The file at `path` in `image` itself (as built, whatever a running container changed since)."""
    with unstarted(api, image) as container:
        return read(api, container, path, limit=limit)
