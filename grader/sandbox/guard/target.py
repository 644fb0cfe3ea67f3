"""A request line read strictly: its method, its target (canonical path, query pairs), its version."""

from __future__ import annotations

import re

from grader.sandbox.guard.wire import BadMessage

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})
"""All the Docker API uses."""
VERSIONS = frozenset({"HTTP/1.1", "HTTP/1.0"})

_PATH_CHARS = "A-Za-z0-9._~:@+/-"
_RAW_PATH = re.compile(rf"/[%{_PATH_CHARS}]*")
_SAFE_PATH = re.compile(rf"/[{_PATH_CHARS}]*")
_RAW_QUERY = re.compile(r"[A-Za-z0-9._~:@+/?!$'()*,=&%-]*")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")


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
