"""Bodies: how one ends (a length, chunks, the connection), read and re-framed; a JSON one made canonical."""

from __future__ import annotations

import io
import json
import re
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from grader.sandbox.guard.wire import MAX_HEAD, MAX_LINE, BadMessage, CutShort, Head, head_line, header_field

CHUNK = 64 * 1024
MAX_LENGTH_DIGITS = 18
"""A Content-Length of at most 10^18 - 1 bytes: no overflow anywhere, and more than any body."""
MAX_CHUNK_DIGITS = 15
"""A chunk of at most 16^15 - 1 bytes (Go allows 16 digits)."""

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_LENGTH_DIGITS}}}")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,%d})[ \t]*(;[\x20-\x7e\t]*)?\r\n" % MAX_CHUNK_DIGITS)

_ENDED_IN_BODY = "the connection ended inside a body"


def framing(head: Head, *, request: bool) -> int | str:
    """How the body after `head` ends: a byte count, "chunked", or "close" (the end of the connection).

    A request with neither length nor chunks has no body; such a response ends with the connection.
    Both, several lengths, or any coding but a single `chunked` are refused: each is a way to make
    two parsers disagree on where a body ends.
    """
    codings = head.values("Transfer-Encoding")
    lengths = head.values("Content-Length")
    if codings and lengths:
        raise BadMessage("both Content-Length and Transfer-Encoding")
    if codings:
        if len(codings) != 1 or codings[0].lower() != "chunked":
            raise BadMessage(f"unsupported Transfer-Encoding {', '.join(codings)[:80]!r}")
        return "chunked"
    if len(lengths) > 1:
        raise BadMessage("more than one Content-Length")
    if lengths:
        if not _DIGITS.fullmatch(lengths[0]):
            raise BadMessage(f"a malformed Content-Length {lengths[0][:80]!r}")
        return int(lengths[0])
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
            raise CutShort(_ENDED_IN_BODY)
        count -= len(data)
        yield data


def _chunks(reader: io.BufferedReader) -> Iterator[bytes]:
    """Chunks: `size [; extension] CRLF data CRLF`, up to a size 0 and the trailers (dropped)."""
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line:
            raise CutShort(_ENDED_IN_BODY)
        match = _CHUNK_LINE.fullmatch(line)
        if not match:
            raise BadMessage("a malformed chunk size line")
        count = int(match.group(1), 16)
        if count == 0:
            break
        yield from _exactly(reader, count)
        end = reader.read(2)
        if len(end) < 2:
            raise CutShort(_ENDED_IN_BODY)
        if end != b"\r\n":
            raise BadMessage("a chunk longer than its size")
    size = 0
    while trailer := head_line(reader.readline(MAX_LINE + 1)):
        size += len(trailer)
        if size > MAX_HEAD:
            raise BadMessage("the trailers are too large")
        header_field(trailer)


def send_body(sock: socket.socket, body: Iterator[bytes], *, chunked: bool) -> None:
    """Write a body, re-framed as chunks (or as it comes, when its length was sent in the head)."""
    for data in body:
        if data:
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def at_most(body: Iterable[bytes], limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than `limit`."""
    held = bytearray()
    for data in body:
        held += data
        if len(held) > limit:
            return None
    return bytes(held)


def canonical_json(body: bytes) -> bytes | None:
    """`body` re-serialised (compact, ASCII) from what Python read of it, or None if that is not
    exactly what Go would read: the engine decodes the very document the policy judged.

    Refused: bytes that are not UTF-8 (Go would read U+FFFD), a BOM, trailing bytes (Go's
    decoder stops after the first value), NaN or infinities, numbers too large for a double,
    lone surrogates (U+FFFD to Go), deep nesting, and a key given twice in one object, in any
    case: Go matches a struct's fields case-insensitively, and keeps the last value or merges
    two objects, where Python keeps the last. An empty body stays empty (the engine refuses it).
    """
    if not body:
        return body
    try:
        document = json.loads(body.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant)
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # a lone surrogate fails here
        return json.dumps(document, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()
    except (ValueError, RecursionError):  # UnicodeError and JSONDecodeError are ValueErrors
        return None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys differ even case-folded (`Privileged` and `privileged` are one to Go)."""
    folded = {key.casefold() for key, _ in pairs}
    if len(folded) != len(pairs):
        raise ValueError("a key given twice")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
