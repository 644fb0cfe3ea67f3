"""A fast testinfra backend: one shell per checked container, every command framed through it.

Stock testinfra's docker backend forks one `docker exec` per command (~80 ms). `ShellBackend`
opens one exec session per container and sends each command down its stdin, followed by a
trailer that prints a random per-shell marker and the exit status on stdout, and the marker on
stderr; reading Docker's multiplexed stream until both markers arrive splits the outputs apart.

The probe toolkit, a read-only directory at `PROBE_DIR` in the checked container, holds a static
busybox. Commands run in the image's own `/bin/sh` when it works (so they behave as with stock
testinfra), else in the probe's busybox sh (FROM scratch, distroless). PATH is the container's
own followed by the probe's applets: the image's tools win, the probe fills the gaps (ps,
netstat, ...). The probe's busybox is a "standalone shell" build that prefers its applets over
PATH, which is why it is only the fallback shell.

Each command runs in a subshell with stdin from /dev/null: `exit`, `cd` or variables do not leak
into later commands, and a command reading stdin sees end of file instead of eating the protocol.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import docker
import docker.errors
import docker.types
import testinfra.host
from testinfra.backend import base
from testinfra.modules.process import Process, int_or_float

from grader.text import decode, shorten

PROBE_DIR = "/.grader"
PROBE_BUSYBOX = f"{PROBE_DIR}/busybox"
PROBE_BIN = f"{PROBE_DIR}/bin"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OUTPUT_LIMIT = 1 << 20
"""Bytes of each output stream kept per command; the rest is read and dropped."""

_PICK_SHELL = (
    f"if /bin/sh -c 'exit 0' </dev/null >/dev/null 2>&1; then exec /bin/sh; fi; exec {PROBE_BUSYBOX} sh"
)
_HEADER = struct.Struct(">BxxxL")
_RECV_SIZE = 1 << 18


class ShellError(RuntimeError):
    """The shell in the checked container could not be started, or ended."""


class CommandTimeout(Exception):
    """A command did not finish in time; its shell was abandoned, the next command opens one."""

    def __init__(self, command: str, timeout_s: float) -> None:
        self.command = command
        self.timeout_s = timeout_s
        super().__init__(f"the command {shorten(command, 200)} did not finish within {timeout_s:g} s")


class _Expired(Exception):
    """The deadline of the current command passed."""


def probe_mount(host_dir: str) -> docker.types.Mount:
    """A read-only bind mount of the probe directory `host_dir` (a path on the engine's host)."""
    return docker.types.Mount(target=PROBE_DIR, source=host_dir, type="bind", read_only=True)


def make_probe_dir(path: Path, busybox: Path = Path("/bin/busybox")) -> Path:
    """Fill `path` with a probe toolkit: a copy of the static `busybox` and its applet links."""
    (path / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, path / "busybox")
    listing = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True)
    for applet in listing.stdout.split():
        link = path / "bin" / applet
        if applet != "busybox" and not link.is_symlink():
            link.symlink_to("../busybox")
    return path


def wait_until(predicate: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll `predicate` until it holds (True) or `timeout_s` has passed (False)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval_s, remaining))
    return True


@dataclass
class _Stream:
    """One output stream of a command, read up to its end marker; keeps at most OUTPUT_LIMIT."""

    end: re.Pattern[bytes]
    hold: int
    kept: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    ended: bool = False
    status: bytes = b""
    """What the end marker's group captured (the exit status on stdout)."""

    def feed(self, data: bytes) -> None:
        if self.ended:
            return  # late output of a background process: nobody is waiting for it
        self.pending += data
        match = self.end.search(self.pending)
        if match:
            self.ended, self.status = True, bytes(match.group(match.lastindex or 0))
        cut = match.start() if match else max(0, len(self.pending) - self.hold)
        self._keep(self.pending[:cut])
        del self.pending[:cut]

    def _keep(self, data: bytearray) -> None:
        room = OUTPUT_LIMIT - len(self.kept)
        if room > 0:
            self.kept += data[:room]


class _Shell:
    """One exec session running a shell, and the framing of commands through it."""

    def __init__(self, raw: Any, container: str) -> None:
        self._raw = raw  # docker-py's socket wrapper; holding it keeps the HTTP response alive
        self._sock: socket.socket = getattr(raw, "_sock", raw)
        self._container = container
        self._buffer = bytearray()
        marker = f"__grader_{secrets.token_hex(16)}__".encode()
        self._marker = marker
        self._out_end = re.compile(b"\n" + marker + rb" (\d+)\n")
        self._err_end = re.compile(b"\n" + marker + b"\n")
        self.pid = 0

    def run(self, command: bytes, timeout_s: float) -> tuple[int, bytes, bytes]:
        """Run `command`; its exit status, stdout and stderr. Raises _Expired or ShellError."""
        deadline = time.monotonic() + timeout_s
        self._send(self._script(command), deadline)
        hold = len(self._marker) + 8
        out, err = _Stream(self._out_end, hold), _Stream(self._err_end, hold)
        streams = {1: out, 2: err}
        while not (out.ended and err.ended):
            stream, payload = self._next_frame(deadline)
            streams.get(stream, out).feed(payload)
        return int(out.status), bytes(out.kept), bytes(err.kept)

    def close(self) -> None:
        for closable in (self._sock, self._raw):
            with contextlib.suppress(OSError):
                closable.close()

    def _script(self, command: bytes) -> bytes:
        marker = self._marker
        quoted = b"'" + command.replace(b"'", b"'\"'\"'") + b"'"
        return (
            b"( eval " + quoted + b" ) </dev/null; __grader_rc=$?; "
            b"printf '\\n%s %d\\n' " + marker + b' "$__grader_rc"; '
            b"printf '\\n%s\\n' " + marker + b" >&2\n"
        )

    def _send(self, data: bytes, deadline: float) -> None:
        self._sock.settimeout(_remaining(deadline))
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise _Expired from None
        except OSError as error:
            raise ShellError(f"lost the shell in container {self._container}: {error}") from error

    def _next_frame(self, deadline: float) -> tuple[int, bytes]:
        """The next frame of Docker's multiplexed stream: (1 stdout | 2 stderr, payload)."""
        while True:
            if len(self._buffer) >= _HEADER.size:
                stream, size = _HEADER.unpack_from(self._buffer)
                end = _HEADER.size + size
                if len(self._buffer) >= end:
                    payload = bytes(self._buffer[_HEADER.size : end])
                    del self._buffer[:end]
                    return stream, payload
            self._buffer += self._recv(deadline)

    def _recv(self, deadline: float) -> bytes:
        self._sock.settimeout(_remaining(deadline))
        try:
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise _Expired from None
        except OSError as error:
            raise ShellError(f"lost the shell in container {self._container}: {error}") from error
        if not data:
            raise ShellError(f"the shell in container {self._container} ended")
        return data


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Expired
    return remaining


class ShellBackend(base.BaseBackend):
    """A testinfra backend running every command through one long-lived shell in a container.

    A command that outlives its timeout raises `CommandTimeout`. Its shell is abandoned (an exec
    cannot be killed through the API); the next command opens a fresh shell, which first kills
    the abandoned shell's process group (best effort: processes that left the group survive).
    Output arriving after a command's end marker (a background process writing to the shell's
    stdout) is dropped or shows up in the next command's output.
    """

    NAME = "grader-shell"

    def __init__(
        self,
        client: docker.APIClient,
        container: str,
        *,
        timeout_s: float = 10.0,
        image_shell: bool = True,
        probe: bool = True,
        **kwargs: Any,
    ) -> None:
        """`image_shell=False` always uses the probe's busybox sh, even if the image has one;
        `probe=False` uses only the container's own /bin/sh and tools (no probe is mounted)."""
        super().__init__(container, **kwargs)
        self.client = client
        self.container = container
        self.timeout_s = timeout_s
        self.image_shell = image_shell
        self.probe = probe
        self._shell: _Shell | None = None
        self._abandoned_pid: int | None = None

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        """Run `command` (with `args` quoted in, as testinfra does); `timeout_s=` overrides."""
        cmd = self.get_command(command, *args)
        cmd_bytes = self.encode(cmd)
        timeout_s = kwargs.get("timeout_s") or self.timeout_s
        shell = self._open_shell()
        try:
            rc, stdout, stderr = shell.run(cmd_bytes, timeout_s)
        except _Expired:
            self._abandoned_pid = shell.pid
            self.close()
            raise CommandTimeout(cmd, timeout_s) from None
        except ShellError:
            self.close()
            raise
        return self.result(rc, cmd_bytes, stdout, stderr)

    def close(self) -> None:
        """End the shell (it exits when its stdin closes); a later command opens a new one."""
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    def __enter__(self) -> ShellBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def get_sudo_command(self, command: str, sudo_user: str | None) -> str:
        """Commands already run as root: `sudo_user` switches with `su`, there is no sudo."""
        if sudo_user is None:
            return command
        return self.quote("su -s /bin/sh %s -c %s", sudo_user, command)

    def get_encoding(self) -> str:
        """UTF-8: images rarely set a locale, and asking python in the image costs two commands."""
        return "utf-8"

    def decode(self, data: bytes) -> str:
        """Text of command output; bytes that are not UTF-8 become U+FFFD instead of raising."""
        return decode(data)

    def _open_shell(self) -> _Shell:
        if self._shell is None:
            shell = self._start_shell()
            try:
                self._kill_abandoned(shell)
            except ShellError:
                shell.close()
                raise
            self._shell = shell
        return self._shell

    def _start_shell(self) -> _Shell:
        try:
            exec_id = self.client.exec_create(
                self.container,
                self._shell_command(),
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                user="0",
                environment={"PATH": self._path()},
            )["Id"]
            shell = _Shell(self.client.exec_start(exec_id, socket=True), self.container)
        except docker.errors.APIError as error:
            raise ShellError(
                f"cannot open a shell in container {self.container}: {error.explanation or error}"
            ) from error
        try:
            _, stdout, _ = shell.run(b"echo $$", self.timeout_s)
            shell.pid = int(stdout)
        except (ShellError, _Expired, ValueError) as error:
            shell.close()
            missing = f"is the probe mounted at {PROBE_DIR}?" if self.probe else "does it have /bin/sh?"
            raise ShellError(
                f"cannot start a shell in container {self.container}: {missing} "
                f"({self._exec_status(exec_id)})"
            ) from error
        return shell

    def _shell_command(self) -> list[str]:
        if not self.probe:
            return ["/bin/sh"]
        return [PROBE_BUSYBOX, "sh", "-c", _PICK_SHELL] if self.image_shell else [PROBE_BUSYBOX, "sh"]

    def _path(self) -> str:
        return f"{self._container_path()}:{PROBE_BIN}" if self.probe else self._container_path()

    def _container_path(self) -> str:
        env = self.client.inspect_container(self.container)["Config"].get("Env") or []
        paths = [item.removeprefix("PATH=") for item in env if item.startswith("PATH=")]
        return paths[0] if paths else DEFAULT_PATH

    def _exec_status(self, exec_id: str) -> str:
        try:
            state = self.client.exec_inspect(exec_id)
        except docker.errors.APIError as error:
            return f"exec unknown: {error}"
        return f"exec running: {state.get('Running')}, exit code: {state.get('ExitCode')}"

    def _kill_abandoned(self, shell: _Shell) -> None:
        """Kill the process group of the shell abandoned after a timeout, if still there."""
        pid, self._abandoned_pid = self._abandoned_pid, None
        if pid and pid != shell.pid:
            with contextlib.suppress(_Expired):
                kill = f"{PROBE_BUSYBOX} kill" if self.probe else "kill"
                shell.run(f"{kill} -9 -{pid} 2>/dev/null".encode(), self.timeout_s)


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


class GraderHost(testinfra.host.Host):
    """A testinfra Host whose process module also works with busybox's ps, as the probe's is."""

    def __getattr__(self, name: str) -> Any:
        if name == "process" and self.run("ps -A -o lstart >/dev/null 2>&1").rc != 0:
            module = BusyboxPsProcess.get_module(self)
            setattr(self, name, module)
            return module
        return super().__getattr__(name)


def host_for(
    client: docker.APIClient, container: str, *, timeout_s: float = 10.0, probe: bool = True
) -> testinfra.host.Host:
    """A testinfra Host checking `container` through a ShellBackend.

    `probe=False` for containers the grader did not start (they have no probe).
    Close its shell with `host.backend.close()`.
    """
    backend = ShellBackend(client, container, timeout_s=timeout_s, probe=probe)
    host = GraderHost(backend)
    backend.set_host(host)
    return host
