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

This module reads and writes heads (and holds the errors); `target` reads the
request line, `body` the framing and the bodies, and `request` puts a request
together from the three.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from grader.errors import SubmissionError

MAX_HEAD = 64 * 1024
MAX_LINE = 8 * 1024

TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class BadMessage(SubmissionError, ValueError):
    """The bytes are not an HTTP/1.1 message the guard forwards (answered `400`, connection closed)."""

    start = ""
    """The request line of the request it was found in, if one was read."""


class CutShort(BadMessage):
    """The connection ended inside a message: the peer left (nothing is wrong with what it sent)."""


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
        text = head_line(line)
        if not text and lines:
            return Head(lines[0], tuple(header_field(line) for line in lines[1:]))
        if text:  # empty lines before a request line are allowed (RFC 9112 2.2)
            lines.append(text)


def head_line(line: bytes) -> str:
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


def header_field(line: str) -> tuple[str, str]:
    if line[0] in " \t":
        raise BadMessage(f"obsolete line folding (a header line starting with a space): {line[:80]!r}")
    name, colon, value = line.partition(":")
    if not colon or not TOKEN.fullmatch(name):
        raise BadMessage(f"malformed header line {line[:80]!r}")
    return name, value.strip(" \t")


def encode(start: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{key}: {value}" for key, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_response(status: str, message: str, *, close: bool) -> bytes:
    """An error the docker CLI prints as `Error response from daemon: <message>`."""
    body = json.dumps({"message": message}).encode() + b"\n"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return encode(f"HTTP/1.1 {status}", headers + [("Connection", "close")] * close) + body
