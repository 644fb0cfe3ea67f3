"""A small, strict reader of the protobuf wire format, for the few BuildKit messages the guard reads.

The guard decodes only the fields it judges (`buildkit`), so a hand-written
reader of the wire format (varints and length-delimited fields, RFC-like
spec at protobuf.dev/programming-guides/encoding) is smaller and stricter than
the `protobuf` package, which would need BuildKit's `.proto` files compiled
and would read leniently (unknown fields kept, a field given twice merged).
Here every byte must belong to a field: a truncated field, an overlong or
10-byte-plus varint, a group or a fixed-width field where the schema has none,
a field given twice that is not repeated, a map key given twice, a string
that is not UTF-8: each is a `Malformed` message, refused unread. What is
forwarded is then read the same way by the engine's Go decoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from grader.errors import SubmissionError

VARINT, LEN = 0, 2
_MAX_VARINT_BYTES = 10


class Malformed(SubmissionError, ValueError):
    """Bytes that are not a protobuf message the guard reads in exactly one way."""


@dataclass(frozen=True)
class Field:
    number: int
    wire: int
    value: int | bytes


def varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at `at` and where it ends; minimal encodings only (no trailing 0x80 00 padding)."""
    value = shift = 0
    for index in range(at, min(at + _MAX_VARINT_BYTES, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte == 0 and index > at:
                raise Malformed("a varint with padding")
            if value >= 1 << 64:
                raise Malformed("a varint over 64 bits")
            return value, index + 1
    raise Malformed("a truncated or overlong varint")


def fields(data: bytes) -> Iterator[Field]:
    """Every field of a message, in order: varints and length-delimited ones only."""
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise Malformed("field number 0")
        if wire == VARINT:
            value, at = varint(data, at)
            yield Field(number, wire, value)
        elif wire == LEN:
            size, at = varint(data, at)
            if at + size > len(data):
                raise Malformed(f"field {number} runs past the end of the message")
            yield Field(number, wire, data[at : at + size])
            at += size
        else:
            raise Malformed(f"field {number} has a wire type ({wire}) none of these messages use")


def text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("a string that is not UTF-8") from None


@dataclass(frozen=True)
class Message:
    """A message read against a schema: for each field number, its kind."""

    by_number: dict[int, list[int | bytes]]

    def one(self, number: int) -> int | bytes | None:
        values = self.by_number.get(number, [])
        return values[0] if values else None

    def string(self, number: int) -> str:
        value = self.one(number)
        return text(value) if isinstance(value, bytes) else ""

    def strings(self, number: int) -> list[str]:
        return [text(value) for value in self.by_number.get(number, []) if isinstance(value, bytes)]

    def raw(self, number: int) -> list[bytes]:
        return [value for value in self.by_number.get(number, []) if isinstance(value, bytes)]

    def string_map(self, number: int) -> dict[str, str]:
        """A `map<string, string>` field (entries of key 1 and value 2); a key given twice is refused."""
        result: dict[str, str] = {}
        for entry in self.raw(number):
            pair = read(entry, {1: "string", 2: "string"})
            key = pair.string(1)
            if key in result:
                raise Malformed(f"the key {key[:80]!r} given twice in one map")
            result[key] = pair.string(2)
        return result


KINDS = {"string": LEN, "bytes": LEN, "message": LEN, "bool": VARINT, "int": VARINT}


def read(data: bytes, schema: dict[int, str]) -> Message:
    """Read `data` against `schema` ({number: kind}, a kind ending in `*` is repeated; maps are
    repeated messages). A field not in the schema, of the wrong wire type, or given twice
    where it is not repeated, is Malformed."""
    found: dict[int, list[int | bytes]] = {}
    for field in fields(data):
        kind = schema.get(field.number)
        if kind is None:
            raise Malformed(f"field {field.number}, which this message does not have")
        if KINDS[kind.rstrip("*")] != field.wire:
            raise Malformed(f"field {field.number} of the wrong wire type")
        values = found.setdefault(field.number, [])
        if values and not kind.endswith("*"):
            raise Malformed(f"field {field.number} given twice")
        if kind == "string" and isinstance(field.value, bytes):
            text(field.value)
        values.append(field.value)
    return Message(found)
