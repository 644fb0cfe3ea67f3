"""HTTP/1.1 as the guard reads and writes it: heads, targets, bodies framed by length or chunks.

The engine sees only what the guard re-serialised from what it checked. The
engine is written in Go, the guard in Python, and wherever the two would read
the same bytes differently (a `#` or a `;` in a query, `%2e%2e` in a path, a
byte that is not UTF-8, a header folded over two lines) the policy would judge
one request and the engine run another. So the guard reads strictly, refuses
whatever it cannot read in exactly one way, and forwards a request rebuilt from
its reading:

- the target in origin-form only (`/path?query`), its path percent-decoded to a
  small set of characters with no `.`, `..` or empty segment (so it needs no
  escape at all: Go reads it back byte for byte), its query split on `&` alone
  and re-encoded pair by pair, as Go's `url.QueryEscape` would;
- only the headers the docker CLI and the Python SDK send that the engine
  reads, printable ASCII each, the framing headers written anew;
- the body re-framed (and a JSON configuration the policy read, re-serialised:
  `canonical_json`).
"""

from __future__ import annotations

import io
import json
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from grader.errors import SubmissionError

CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024
MAX_LINE = 8 * 1024
MAX_LENGTH_DIGITS = 18
"""A Content-Length of at most 10^18 - 1 bytes: no overflow anywhere, and more than any body."""
MAX_CHUNK_DIGITS = 15
"""A chunk of at most 16^15 - 1 bytes (Go allows 16 digits)."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})
"""All the Docker API uses."""
VERSIONS = frozenset({"HTTP/1.1", "HTTP/1.0"})

FORWARDED = {
    name.lower(): name
    for name in (
        "Host",
        "User-Agent",
        "Content-Type",
        "Accept",
        "X-Registry-Auth",
        "X-Registry-Config",
        "X-Docker-Expose-Session-Uuid",
        "X-Docker-Expose-Session-Name",
        "X-Docker-Expose-Session-Sharedkey",
        "X-Docker-Expose-Session-Grpc-Method",
    )
}
"""The request headers passed to the engine (as spelled here), recorded from the docker CLI
(20.10 and 28.2) and the Python SDK; the `X-Docker-Expose-Session-*` ones open `/session`.
Content-Length, Transfer-Encoding, Connection, Upgrade and Expect are read and written anew;
any other header (Accept-Encoding, Proxy-Connection, a CLI config's HttpHeaders) is dropped."""
REPEATABLE = frozenset({"x-docker-expose-session-grpc-method", "connection", "expect"})
"""Headers that may come more than once; any other, twice, is refused (which one would Go read?)."""

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
_HOST = re.compile(r"([A-Za-z0-9.-]+(:[0-9]{1,5})?)?")
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_LENGTH_DIGITS}}}")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,%d})[ \t]*(;[\x20-\x7e\t]*)?\r\n" % MAX_CHUNK_DIGITS)
_PATH_CHARS = "A-Za-z0-9._~:@+/-"
_RAW_PATH = re.compile(rf"/[%{_PATH_CHARS}]*")
_SAFE_PATH = re.compile(rf"/[{_PATH_CHARS}]*")
_RAW_QUERY = re.compile(r"[A-Za-z0-9._~:@+/?!$'()*,=&%-]*")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")


class BadMessage(SubmissionError, ValueError):
    """The bytes are not an HTTP/1.1 message the guard forwards (answered `400`, connection closed)."""

    start = ""
    """The request line of the request it was found in, if one was read."""


class CutShort(BadMessage):
    """The connection ended inside a message: the peer left (nothing is wrong with what it sent)."""


_ENDED_IN_BODY = "the connection ended inside a body"


@dataclass(frozen=True)
class Head:
    """A request line or status line, and the headers in their order."""

    start: str
    headers: tuple[tuple[str, str], ...]

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def tokens(self, name: str) -> set[str]:
        """The comma-separated, lowercased tokens of every `name` header (Connection, Expect)."""
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
    """A request as the guard read it: canonical, and all that is forwarded of it."""

    method: str
    path: str
    """Percent-decoded, in `[A-Za-z0-9._~:@+/-]`, no `.`, `..` or empty segment: as sent on."""
    pairs: tuple[tuple[str, str], ...]
    """The query's decoded (key, value) pairs, in their order."""
    version: str
    headers: tuple[tuple[str, str], ...]
    """The allowlisted headers (FORWARDED), as sent on; framing headers are not among them."""
    frame: int | str
    keep_alive: bool
    upgrade: str | None
    """The protocol asked for (`tcp` for attach and exec, `h2c` for `/session`), if any."""
    expect_continue: bool

    @property
    def query(self) -> dict[str, list[str]]:
        """The query as the policy reads it: every value of each key, in order."""
        query: dict[str, list[str]] = {}
        for key, value in self.pairs:
            query.setdefault(key, []).append(value)
        return query

    @property
    def target(self) -> str:
        """The path and the query re-encoded as Go's `url.QueryEscape` would (and decodes back)."""
        query = "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in self.pairs)
        return f"{self.path}?{query}" if query else self.path

    @property
    def start(self) -> str:
        """The request line sent to the engine."""
        return f"{self.method} {self.target} {self.version}"

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def read_head(reader: io.BufferedReader) -> Head | None:
    """The next head, or None if the peer closed the connection before sending one.

    Every line ends in CRLF and holds no other control character than a tab:
    a bare LF, a lone CR or a NUL is read differently by different parsers.
    """
    lines: list[str] = []
    size = 0
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line and not lines:
            return None
        size += len(line)
        if size > MAX_HEAD:
            raise BadMessage("the head is too large")
        text = _line(line)
        if not text and lines:
            return Head(lines[0], tuple(_header(line) for line in lines[1:]))
        if text:  # empty lines before a request line are allowed (RFC 9112 2.2)
            lines.append(text)


def _line(line: bytes) -> str:
    """One line of a head, without its CRLF."""
    if len(line) > MAX_LINE:
        raise BadMessage("a line of the head is too long")
    if not line.endswith(b"\n"):
        raise CutShort("the connection ended inside a head")
    if not line.endswith(b"\r\n"):
        raise BadMessage("a line ends in a bare LF, not CRLF")
    text = line[:-2].decode("latin-1")
    if _CONTROL.search(text):
        raise BadMessage(f"a control character in the head line {text[:80]!r}")
    return text


def _header(line: str) -> tuple[str, str]:
    if line[0] in " \t":
        raise BadMessage(f"obsolete line folding (a header line starting with a space): {line[:80]!r}")
    name, colon, value = line.partition(":")
    if not colon or not _TOKEN.fullmatch(name):
        raise BadMessage(f"malformed header line {line[:80]!r}")
    return name, value.strip(" \t")


def encode(start: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{key}: {value}" for key, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


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
    while trailer := _line(reader.readline(MAX_LINE + 1)):
        size += len(trailer)
        if size > MAX_HEAD:
            raise BadMessage("the trailers are too large")
        _header(trailer)


def send_body(sock: socket.socket, body: Iterator[bytes], *, chunked: bool) -> None:
    """Write a body, re-framed as chunks (or as it comes, when its length was sent in the head)."""
    for data in body:
        if data:
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def json_response(status: str, message: str, *, close: bool) -> bytes:
    """An error the docker CLI prints as `Error response from daemon: <message>`."""
    body = json.dumps({"message": message}).encode() + b"\n"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return encode(f"HTTP/1.1 {status}", headers + [("Connection", "close")] * close) + body


def read_request(reader: io.BufferedReader) -> Request | None:
    """The next request, canonical, or None at the end of the connection; BadMessage if it is not
    one the guard can read in exactly one way."""
    head = read_head(reader)
    if head is None:
        return None
    try:
        return _request(head)
    except BadMessage as error:
        error.start = head.start
        raise


def _request(head: Head) -> Request:
    method, path, pairs, version = request_line(head.start)
    connection = head.tokens("Connection")
    http11 = version == "HTTP/1.1"
    if not http11 and head.values("Transfer-Encoding"):
        raise BadMessage("Transfer-Encoding in an HTTP/1.0 request (Go ignores it there)")
    headers = forwarded_headers(head)
    upgrades = head.values("Upgrade") if http11 and "upgrade" in connection else []
    return Request(
        method=method,
        path=path,
        pairs=pairs,
        version=version,
        headers=headers,
        frame=framing(head, request=True),
        keep_alive="close" not in connection if http11 else "keep-alive" in connection,
        upgrade=upgrades[0] if upgrades else None,
        expect_continue=http11 and "100-continue" in head.tokens("Expect"),
    )


def request_line(line: str) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
    """Method, canonical path, query pairs and version of `METHOD /path?query HTTP/1.x`."""
    parts = line.split(" ")
    if len(parts) != 3 or parts[2] not in VERSIONS:
        raise BadMessage(f"a malformed request line {line[:80]!r}")
    method, target, version = parts
    if method not in METHODS:
        raise BadMessage(f"the method {method[:20]!r} (only {', '.join(sorted(METHODS))} are passed on)")
    path, pairs = split_target(target)
    return method, path, pairs, version


def split_target(target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The canonical path and the query pairs of an origin-form target (`/path?query`).

    Absolute-form (`http://host/path`), authority-form (`host:port`) and `*` are refused:
    the docker CLI never sends them, and Python and Go split them differently.
    """
    if target == "*":
        raise BadMessage("the target `*` (only a path starting with `/` is passed on)")
    if not target.startswith("/"):
        form = "an absolute-form target" if "://" in target else "a target not starting with `/`"
        raise BadMessage(f"{form} {target[:80]!r} (only a path starting with `/` is passed on)")
    if "#" in target:
        raise BadMessage(f"a `#` in the target {target[:80]!r}")
    path, _, query = target.partition("?")
    return canonical_path(path), parse_query(query)


def canonical_path(raw: str) -> str:
    """`raw` percent-decoded, if that leaves only `[A-Za-z0-9._~:@+/-]` and no `.`, `..` or empty
    segment: a path Go reads back unchanged, matched by the engine's router as the policy read it.

    Double encoding (`%252e`) leaves a `%` and is refused; `%2F` becomes a `/`, as Go's router
    would read it.
    """
    if not _RAW_PATH.fullmatch(raw):
        raise BadMessage(f"the path {raw[:80]!r} has characters other than [{_PATH_CHARS}] and %-escapes")
    path = _unescape(raw, plus=False)
    if not _SAFE_PATH.fullmatch(path):
        raise BadMessage(f"the path {raw[:80]!r} decodes to characters other than [{_PATH_CHARS}]")
    if path != "/" and any(segment in ("", ".", "..") for segment in path.split("/")[1:]):
        raise BadMessage(f"the path {raw[:80]!r} has an empty, `.` or `..` segment")
    return path


def parse_query(raw: str) -> tuple[tuple[str, str], ...]:
    """The (key, value) pairs of a query, decoded as Go's `url.ParseQuery` does (`+` is a space).

    Only `&` separates pairs: Go before 1.17 also split on `;`, so a `;` is refused. Escapes must be
    valid and decode to UTF-8.
    """
    if ";" in raw:
        raise BadMessage("a `;` in the query (some servers read it as `&`)")
    if not _RAW_QUERY.fullmatch(raw):
        raise BadMessage(f"the query {raw[:80]!r} has characters a query does not hold unescaped")
    pairs = []
    for piece in raw.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((_unescape(key, plus=True), _unescape(value, plus=True)))
    return tuple(pairs)


def _unescape(text: str, *, plus: bool) -> str:
    """Percent-decode `text` (and `+` to a space in a query), refusing a bad escape or non-UTF-8."""
    if plus:
        text = text.replace("+", " ")
    raw = bytearray()
    for index, part in enumerate(text.split("%")):
        if index:
            if not _HEX2.match(part):
                raise BadMessage(f"an invalid %-escape in {text[:80]!r}")
            raw.append(int(part[:2], 16))
            part = part[2:]
        raw += part.encode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage(f"{text[:80]!r} does not decode to UTF-8") from None


def forwarded_headers(head: Head) -> tuple[tuple[str, str], ...]:
    """The allowlisted headers of a request, checked; the rest (Accept-Encoding, say) is dropped.

    Every value is printable ASCII: Go lowercases `İ` to `i`, Python does not, so a
    `Content-Type` with it would be a form for one and not for the other.
    """
    seen: set[str] = set()
    kept = []
    for name, value in head.headers:
        key = name.lower()
        if not _FIELD_VALUE.fullmatch(value):
            raise BadMessage(f"the {name} header has characters other than printable ASCII")
        if key in seen and key not in REPEATABLE:
            raise BadMessage(f"the {name} header given more than once")
        seen.add(key)
        if key == "host" and not _HOST.fullmatch(value):
            raise BadMessage(f"a malformed Host {value[:80]!r}")
        if key == "upgrade" and not _TOKEN.fullmatch(value):
            raise BadMessage(f"a malformed Upgrade {value[:80]!r}")
        if key in FORWARDED:
            kept.append((FORWARDED[key], value))
    return tuple(kept)


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


def at_most(body: Iterable[bytes], limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than `limit`."""
    held = bytearray()
    for data in body:
        held += data
        if len(held) > limit:
            return None
    return bytes(held)


def upstream_headers(request: Request, frame: int | str) -> list[tuple[str, str]]:
    """The request's allowlisted headers for a connection of its own, its body framed by `frame`."""
    headers = list(request.headers)
    if frame == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
    else:
        headers.append(("Content-Length", str(frame)))
    if request.upgrade:
        return [*headers, ("Connection", "Upgrade"), ("Upgrade", request.upgrade)]
    return [*headers, ("Connection", "close")]
