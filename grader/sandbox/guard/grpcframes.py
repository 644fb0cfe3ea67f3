"""gRPC as the guard's HTTP/2 relay (`h2relay`) reads and writes it: messages, headers, statuses.

A gRPC body is a run of messages, each a 5-byte prefix (a compressed flag and a
length) and its bytes (grpc.io's "gRPC over HTTP2"). The relay cuts what it
receives into whole messages and writes each anew; a compressed one, one over
MAX_MESSAGE, or one cut short by the end of its stream is refused. Headers are
rebuilt from an allowlist: the method, `grpc-timeout` and the metadata BuildKit
reads, nothing else (no `grpc-encoding`, so nothing comes back compressed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from grader.sandbox.guard import buildkit

MAX_MESSAGE = 16 * 1024 * 1024
"""Largest gRPC message relayed (grpc-go's own limit is 4 MB by default; BuildKit raises it to 16)."""
Headers = list[tuple[bytes, bytes]]
ANSWER_HEADERS = frozenset(
    {b":status", b"content-type", b"grpc-status", b"grpc-message", b"grpc-status-details-bin"}
)


@dataclass
class Flow:
    """One direction of a call: gRPC messages from `source`'s stream to `sink`'s."""

    source: int
    sink: int | None = None
    partial: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    owed: int = 0
    ended: bool = False
    trailers: Headers | None = None
    messages: int = 0
    finished: bool = False


def messages(flow: Flow) -> list[bytes]:
    """The whole gRPC messages at the start of `flow.partial`, taken out of it."""
    found = []
    while len(flow.partial) >= 5:
        compressed, size = flow.partial[0], int.from_bytes(flow.partial[1:5], "big")
        if compressed:
            raise ValueError("a compressed gRPC message, which cannot be checked")
        if size > MAX_MESSAGE:
            raise ValueError(f"a gRPC message of {size} bytes, more than {MAX_MESSAGE}")
        if len(flow.partial) < 5 + size:
            break
        found.append(bytes(flow.partial[5 : 5 + size]))
        del flow.partial[: 5 + size]
    if flow.ended and flow.partial:
        raise ValueError("a gRPC message cut short by the end of its stream")
    return found


def frame(payload: bytes) -> bytes:
    return b"\0" + len(payload).to_bytes(4, "big") + payload


def headers_refusal(headers: Headers) -> str | None:
    found = dict(headers)
    if found.get(b":method") != b"POST":
        return "Refused: a gRPC call is a POST."
    if not found.get(b"content-type", b"").startswith(b"application/grpc"):
        return "Refused: a call on BuildKit's connection that is not gRPC."
    if found.get(b"grpc-encoding", b"identity") != b"identity":
        return "Refused: compressed gRPC messages cannot be checked."
    return None


def request_headers(where: str, method: str, headers: Headers) -> Headers:
    """The headers sent on for a call: rebuilt, with the metadata BuildKit reads and nothing else."""
    allowed = buildkit.GRPC_METADATA if where == "grpc" else buildkit.SESSION_METADATA
    kept: Headers = [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", method.encode()),
        (b":authority", b"localhost"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
    ]
    for name, value in headers:
        text = name.decode("latin-1")
        exporter = where == "session" and text.startswith(buildkit.SESSION_METADATA_PREFIX)
        printable = all(32 <= byte < 127 for byte in value)
        if (text == "grpc-timeout" or text in allowed or exporter) and printable:
            kept.append((name, value))
    return kept


def kept(headers: Headers, names: frozenset[bytes]) -> Headers:
    return [(name, value) for name, value in headers if name in names]


def percent(message: str) -> bytes:
    """A `grpc-message` as gRPC writes it: percent-encoded outside printable ASCII, and `%` itself."""
    return quote(message, safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~").encode("ascii")
