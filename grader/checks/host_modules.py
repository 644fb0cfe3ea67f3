"""testinfra modules of a GraderHost that take their facts from outside the checked container.

- `ArchiveFile` (`host.file`): files through the engine's archive API; names of owners from
  the container's own /etc/passwd and /etc/group, read the same way.
- `LookoutSocket` (`host.socket`): listening sockets from busybox's netstat in a lookout that
  shares the container's network namespace (grader.checks.lookout).
- `BusyboxPsProcess` (`host.process`): the probe's busybox ps in the container, which lacks
  time, lstart, pcpu and pmem; it reads /proc, which the kernel writes.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import TYPE_CHECKING, Any

import testinfra.host
from testinfra.modules.file import File
from testinfra.modules.process import Process, int_or_float
from testinfra.modules.socket import LinuxSocketNetstat

from grader.checks import archive

if TYPE_CHECKING:
    from grader.checks.backend import GraderHost


def _host(module: Any) -> GraderHost:
    host: GraderHost = module._host
    return host


class ArchiveFile(File):
    """A file of the checked container, as the engine's archive API shows it."""

    def _where(self) -> tuple[Any, str]:
        backend = _host(self).backend
        return backend.client, backend.container

    def _stat(self) -> archive.PathStat | None:
        return archive.stat(*self._where(), self.path)

    def _target(self) -> archive.PathStat | None:
        resolved = archive.resolve(*self._where(), self.path)
        return resolved[1] if resolved else None

    def _required(self) -> archive.PathStat:
        found = self._target()
        if found is None:
            raise AssertionError(f"there is no {self.path}")
        return found

    @property
    def exists(self) -> bool:
        return self._target() is not None

    @property
    def is_file(self) -> bool:
        found = self._target()
        return found is not None and found.is_file

    @property
    def is_directory(self) -> bool:
        found = self._target()
        return found is not None and found.is_dir

    @property
    def is_executable(self) -> bool:
        found = self._target()
        return found is not None and bool(found.permissions & 0o111)

    @property
    def is_pipe(self) -> bool:
        found = self._target()
        return found is not None and found.is_pipe

    @property
    def is_socket(self) -> bool:
        found = self._target()
        return found is not None and found.is_socket

    @property
    def is_symlink(self) -> bool:
        found = self._stat()
        return found is not None and found.is_symlink

    @property
    def linked_to(self) -> str:
        found = self._stat()
        return found.link_target if found is not None and found.is_symlink else self.path

    def _owner(self) -> tuple[int, int]:
        resolved = archive.resolve(*self._where(), self.path)
        owner = archive.owner(*self._where(), resolved[0]) if resolved else None
        if owner is None:
            raise AssertionError(f"there is no {self.path}")
        return owner

    @property
    def uid(self) -> int:
        return self._owner()[0]

    @property
    def gid(self) -> int:
        return self._owner()[1]

    @property
    def user(self) -> str:
        uid = self.uid
        return _names(self, "/etc/passwd").get(uid, str(uid))

    @property
    def group(self) -> str:
        gid = self.gid
        return _names(self, "/etc/group").get(gid, str(gid))

    @property
    def mode(self) -> int:
        return self._required().permissions

    @property
    def size(self) -> int:
        return self._required().size

    @property
    def mtime(self) -> datetime.datetime:
        text = self._required().mtime
        return datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00"))

    def _get_content(self, decode: bool) -> Any:
        data = archive.read(*self._where(), self.path)
        if data is None:
            raise AssertionError(f"{self.path} is no file that can be read")
        return data.decode() if decode else data

    @property
    def md5sum(self) -> str:
        return hashlib.md5(self.content).hexdigest()

    @property
    def sha256sum(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def contains(self, pattern: str) -> bool:
        data = archive.read(*self._where(), self.path)
        return data is not None and re.search(pattern, data.decode(errors="replace")) is not None

    def listdir(self) -> list[str]:
        names = archive.listdir(*self._where(), self.path)
        if names is None:
            raise AssertionError(f"{self.path} is not a folder")
        return names

    @classmethod
    def get_module_class(cls, host: testinfra.host.Host) -> type[File]:
        return cls


def _names(module: Any, path: str) -> dict[int, str]:
    """Numeric ids to names, from the container's /etc/passwd or /etc/group."""
    backend = _host(module).backend
    data = archive.read(backend.client, backend.container, path, limit=1 << 20) or b""
    names: dict[int, str] = {}
    for line in data.decode(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            names.setdefault(int(fields[2]), fields[0])
    return names


class LookoutSocket(LinuxSocketNetstat):
    """Sockets of the checked container's network namespace, from netstat in a lookout beside it."""

    _command = "netstat"

    @classmethod
    def check_output(cls, *args: Any, **kwargs: Any) -> str:
        return _host(cls).net.check_output(*args)

    @classmethod
    def get_module_class(cls, host: testinfra.host.Host) -> type[LinuxSocketNetstat]:
        return cls


class BusyboxPsProcess(Process):
    """Processes as seen by a busybox `ps` that lacks time, lstart, pcpu and pmem.

    Every attribute that ps knows is read at once, so attributes never need a second look-up;
    asking for another raises AttributeError.
    """

    COLUMNS = (
        "pid",
        "ppid",
        "pgid",
        "sid",
        "nice",
        "vsz",
        "rss",
        "user",
        "ruser",
        "group",
        "rgroup",
        "tty",
        "stat",
        "comm",
        "args",
    )

    def _get_processes(self, **filters: Any) -> list[dict[str, Any]]:
        unknown = set(filters) - set(self.COLUMNS)
        if unknown:
            raise AttributeError(f"busybox ps has no {', '.join(sorted(unknown))} column")
        lines = self.check_output("ps -o %s", ",".join(self.COLUMNS)).splitlines()[1:]
        return [self._parse(line) for line in lines]

    def _parse(self, line: str) -> dict[str, Any]:
        count = len(self.COLUMNS)
        values = line.split(None, count - 1)
        values += [""] * (count - len(values))
        attrs = {key: int_or_float(value) for key, value in zip(self.COLUMNS, values, strict=True)}
        attrs["args"] = values[-1]
        return attrs

    def _get_process_attribute_by_pid(self, pid: int, name: str) -> dict[str, Any]:
        raise AttributeError(f"busybox ps has no {name} column")

    @classmethod
    def get_module_class(cls, host: testinfra.host.Host) -> type[Process]:
        return cls
