"""A request as the guard reads it: the request line, the allowlisted headers and the framing, checked
together into the one canonical `Request` that is forwarded."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import quote_plus

from grader.sandbox.guard.body import framing
from grader.sandbox.guard.target import request_line
from grader.sandbox.guard.wire import TOKEN, BadMessage, Head, read_head

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

_FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
_HOST = re.compile(r"([A-Za-z0-9.-]+(:[0-9]{1,5})?)?")


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
        if key == "upgrade" and not TOKEN.fullmatch(value):
            raise BadMessage(f"a malformed Upgrade {value[:80]!r}")
        if key in FORWARDED:
            kept.append((FORWARDED[key], value))
    return tuple(kept)


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
