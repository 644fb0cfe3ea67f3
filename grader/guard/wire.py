"""HTTP/1.1 as the guard reads and writes it: heads, bodies framed by length or chunks.

Strict on purpose: what the guard forwards is re-framed from what it parsed,
so the engine never sees a byte of a request the policy did not see.
"""

from __future__ import annotations

import io
import json
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024
MAX_LINE = 8 * 1024
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "te", "trailer"}
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class BadMessage(ValueError):
    """The bytes are not an HTTP/1.1 message the guard forwards."""


@dataclass(frozen=True)
class Head:
    """A request line or status line, and the headers in their order."""

    start: str
    headers: tuple[tuple[str, str], ...]

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def tokens(self, name: str) -> set[str]:
        """The comma-separated, lowercased tokens of every `name` header (Connection, Transfer-Encoding)."""
        return {
            token.strip().lower()
            for value in self.values(name)
            for token in value.split(",")
            if token.strip()
        }

    def without(self, names: frozenset[str] | set[str]) -> list[tuple[str, str]]:
        return [(key, value) for key, value in self.headers if key.lower() not in names]


@dataclass(frozen=True)
class Request:
    """A request's head and what the guard needs to know of it."""

    head: Head
    method: str
    path: str
    query: dict[str, list[str]]
    frame: int | str
    keep_alive: bool
    upgrade: bool


def read_head(reader: io.BufferedReader) -> Head | None:
    """The next head, or None if the peer closed the connection before sending one."""
    lines: list[str] = []
    size = 0
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line and not lines:
            return None
        if not line.endswith(b"\n"):
            raise BadMessage("a line is too long or the connection ended inside a head")
        size += len(line)
        if size > MAX_HEAD:
            raise BadMessage("the head is too large")
        text = line.rstrip(b"\r\n").decode("latin-1")
        if not text and lines:
            return Head(lines[0], tuple(_header(line) for line in lines[1:]))
        if text:  # empty lines before a request line are allowed (RFC 9112 2.2)
            lines.append(text)


def _header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon or not _TOKEN.match(name) or any(char in value for char in "\r\0"):
        raise BadMessage(f"malformed header line {line[:80]!r}")
    return name, value.strip(" \t")


def encode(start: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{key}: {value}" for key, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def framing(head: Head, *, request: bool) -> int | str:
    """How the body after `head` ends: a byte count, "chunked", or "close" (the end of the connection).

    A request with neither length nor chunks has no body; such a response ends with the connection.
    """
    codings = [
        token.strip().lower() for value in head.values("Transfer-Encoding") for token in value.split(",")
    ]
    if codings:
        if codings != ["chunked"]:
            raise BadMessage(f"unsupported Transfer-Encoding {', '.join(codings)}")
        return "chunked"
    lengths = {value.strip() for value in head.values("Content-Length")}
    if len(lengths) > 1 or not all(length.isdigit() for length in lengths):
        raise BadMessage("an ambiguous Content-Length")
    if lengths:
        return int(lengths.pop())
    return 0 if request else "close"


def pieces(reader: io.BufferedReader, frame: int | str) -> Iterator[bytes]:
    """The body's bytes, decoded from its framing, at most CHUNK bytes at a time."""
    if frame == "chunked":
        yield from _chunks(reader)
    elif frame == "close":
        while data := reader.read1(CHUNK):
            yield data
    else:
        yield from _exactly(reader, int(frame))


def _exactly(reader: io.BufferedReader, count: int) -> Iterator[bytes]:
    while count > 0:
        data = reader.read1(min(count, CHUNK))
        if not data:
            raise BadMessage("the connection ended inside a body")
        count -= len(data)
        yield data


def _chunks(reader: io.BufferedReader) -> Iterator[bytes]:
    while True:
        line = reader.readline(MAX_LINE + 1)
        size = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9a-fA-F]{1,15}", size):
            raise BadMessage("a malformed chunk size")
        count = int(size, 16)
        if count == 0:
            break
        yield from _exactly(reader, count)
        if reader.readline(MAX_LINE + 1).strip(b"\r\n"):
            raise BadMessage("a chunk longer than its size")
    while reader.readline(MAX_LINE + 1).strip(b"\r\n"):  # trailers, dropped
        pass


def send_body(sock: socket.socket, body: Iterator[bytes], *, chunked: bool) -> None:
    """Write a body, re-framed as chunks (or as it comes, when its length was sent in the head)."""
    for data in body:
        sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def json_response(status: str, message: str, *, close: bool) -> bytes:
    """An error the docker CLI prints as `Error response from daemon: <message>`."""
    body = json.dumps({"message": message}).encode() + b"\n"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return encode(f"HTTP/1.1 {status}", headers + [("Connection", "close")] * close) + body


def read_request(reader: io.BufferedReader) -> Request | None:
    head = read_head(reader)
    if head is None:
        return None
    parts = head.start.split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0") or not parts[0].isalpha():
        raise BadMessage(f"a malformed request line {head.start[:80]!r}")
    method, target, version = parts
    if target.startswith("/"):
        path, _, query = target.partition("?")
    elif "://" in target:
        path, query = urlsplit(target).path, urlsplit(target).query
    else:
        raise BadMessage(f"a malformed request target {target[:80]!r}")
    connection = head.tokens("Connection")
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    upgrade = "upgrade" in connection and bool(head.values("Upgrade"))
    frame = framing(head, request=True)
    return Request(head, method, path, parse_qs(query, keep_blank_values=True), frame, keep_alive, upgrade)


def at_most(body: Iterable[bytes], limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than `limit`."""
    held = bytearray()
    for data in body:
        held += data
        if len(held) > limit:
            return None
    return bytes(held)


def upstream_headers(request: Request, frame: int | str) -> list[tuple[str, str]]:
    """The client's headers for a connection of the request's own, its body framed by `frame`."""
    headers = request.head.without(HOP_BY_HOP | {"upgrade", "expect"})
    if frame == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
    else:
        headers.append(("Content-Length", str(frame)))
    if request.upgrade:
        return [*headers, ("Connection", "Upgrade"), ("Upgrade", request.head.values("Upgrade")[0])]
    return [*headers, ("Connection", "close")]
