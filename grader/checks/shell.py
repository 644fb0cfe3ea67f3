"""One shell in a checked container, and the framing of commands sent down its stdin.

Each command is followed by a trailer that prints a random per-shell marker and the exit status
on stdout, and the marker on stderr; reading Docker's multiplexed stream until both markers
arrive splits the outputs apart. The marker travels only on the shell's stdin, never in its
argv or environment, and the shell runs as a user no process of the container has (see
grader.checks.backend), so the container's processes can neither read it nor write into the pipes.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from grader.errors import Interrupted, SubmissionError
from grader.text import shorten

OUTPUT_LIMIT = 1 << 20
"""Bytes of each output stream kept per command; the rest is read and dropped."""

_HEADER = struct.Struct(">BxxxL")
_RECV_SIZE = 1 << 18


class ShellError(SubmissionError, RuntimeError):
    """The shell in the checked container could not be started, or ended."""


class CommandTimeout(Interrupted):
    """A command did not finish in time; its shell was abandoned, the next command opens one."""

    def __init__(self, command: str, timeout_s: float) -> None:
        self.command = command
        self.timeout_s = timeout_s
        super().__init__(f"the command {shorten(command, 200)} did not finish within {timeout_s:g} s")


class Expired(Interrupted):
    """The deadline of the current command passed."""


def close_hijacked(raw: Any) -> None:
    """Close an exec's hijacked connection from docker-py (`socket=True`): the socket, our file
    object on it, and the HTTP response that also holds it (else its descriptor stays open)."""
    response = getattr(raw, "_response", None)
    for closable in (response, raw, getattr(raw, "_sock", None)):
        if closable is not None:
            with contextlib.suppress(OSError, ValueError):  # ValueError: closed already
                closable.close()


def remaining(deadline: float) -> float:
    """Seconds left until `deadline` (a time.monotonic() value); raises Expired when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise Expired
    return left


@dataclass
class Stream:
    """One output stream of a command, read up to its end marker; keeps at most OUTPUT_LIMIT."""

    end: re.Pattern[bytes]
    hold: int
    kept: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    ended: bool = False
    status: bytes = b""
    """What the end marker's group captured (the exit status on stdout)."""

    def feed(self, data: bytes) -> None:
        """Take `data` in; what precedes the end marker is kept, what follows it dropped."""
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


class FramedShell:
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
        """Run `command`; its exit status, stdout and stderr. Raises Expired or ShellError."""
        deadline = time.monotonic() + timeout_s
        self._send(self._script(command), deadline)
        hold = len(self._marker) + 8
        out, err = Stream(self._out_end, hold), Stream(self._err_end, hold)
        streams = {1: out, 2: err}
        while not (out.ended and err.ended):
            stream, payload = self._next_frame(deadline)
            streams.get(stream, out).feed(payload)
        return int(out.status), bytes(out.kept), bytes(err.kept)

    def close(self) -> None:
        """Close the exec's connection: the shell reads end of file and exits."""
        close_hijacked(self._raw)

    def _script(self, command: bytes) -> bytes:
        """`command` in a subshell reading /dev/null, then the trailer printing the markers."""
        marker = self._marker
        quoted = b"'" + command.replace(b"'", b"'\"'\"'") + b"'"
        return (
            b"( eval " + quoted + b" ) </dev/null; __grader_rc=$?; "
            b"printf '\\n%s %d\\n' " + marker + b' "$__grader_rc"; '
            b"printf '\\n%s\\n' " + marker + b" >&2\n"
        )

    def _send(self, data: bytes, deadline: float) -> None:
        self._sock.settimeout(remaining(deadline))
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise Expired from None
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
        self._sock.settimeout(remaining(deadline))
        try:
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise Expired from None
        except OSError as error:
            raise ShellError(f"lost the shell in container {self._container}: {error}") from error
        if not data:
            raise ShellError(f"the shell in container {self._container} ended")
        return data
