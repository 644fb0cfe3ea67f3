"""The pieces the guard's body tables are made of: JSON read as the engine's Go decoder reads it, and checks.

A check takes a value and where it is (`At`: its field path, for the message, and the folders binds may
share) and returns None, or the refusal's sentence. `struct` checks an object whose keys are matched the
way Go matches a struct's fields (case folded): an unknown key, a wrong type, a value its check refuses
or, once the rest passed, a key given twice is refused, naming the field. Maps (labels, options) keep
their keys as given.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from grader.sandbox.paths import PROBE_SOURCE

_ENGINE_SOCKETS = ("docker.sock", "containerd.sock")
NOT_NEEDED = "the course never needs it."


@dataclass(frozen=True)
class Obj:
    """A JSON object with its keys as sent, in order, duplicates kept."""

    pairs: list[tuple[str, Any]]

    def fields(self) -> dict[str, list[tuple[str, Any]]]:
        """The pairs grouped by case-folded key."""
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for key, value in self.pairs:
            grouped.setdefault(key.casefold(), []).append((key, value))
        return grouped

    def get(self, name: str) -> list[Any]:
        """Every value given for the struct field `name`."""
        return [value for key, value in self.pairs if key.casefold() == name.casefold()]


class At(NamedTuple):
    """Where a value is: its field path (`HostConfig.Binds`) and the folders binds may share."""

    path: str
    roots: tuple[str, ...]

    def then(self, name: str) -> At:
        return At(f"{self.path}.{name}" if self.path else name, self.roots)


Check = Callable[[Any, At], "str | None"]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(body: bytes) -> Any:
    """The JSON document, objects as `Obj`; ValueError if Go would not read it (one document, no NaN)."""
    return json.loads(body, object_pairs_hook=Obj, parse_constant=_no_constant)


def go_number(digits: str, most: int) -> int:
    """The number Go's strconv reads in the ASCII `digits` (leading zeros and all, "" as 0), or 10**most
    for more significant digits than `most`: Python's int() refuses past 4300 digits, Go does not."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= most else 10**most


def refused(at: At, why: str) -> str:
    return f"Refused: `{at.path}` {why}"


def wrong(at: At, kind: str) -> str:
    return refused(at, f"must be {kind}; the docker CLI never sends anything else.")


def struct(
    fields: Mapping[str, Check],
    *,
    nullable: bool = False,
    also: Callable[[Obj, At], str | None] | None = None,
) -> Check:
    """An object with only these fields (matched case-insensitively), each passing its check."""
    table = {name.casefold(): (name, check) for name, check in fields.items()}

    def check(value: Any, at: At) -> str | None:
        if value is None:
            return None if nullable else wrong(at, "an object, not null")
        if not isinstance(value, Obj):
            return wrong(at, "an object")
        grouped = value.fields()
        for folded, given in grouped.items():
            if folded not in table:
                return refused(at.then(given[0][0]), "is not something the course needs.")
            name, field_check = table[folded]
            for _, item in given:
                found = field_check(item, at.then(name))
                if found:
                    return found
        found = also(value, at) if also else None
        return found or twice(grouped, at)

    return check


def twice(grouped: dict[str, list[tuple[str, Any]]], at: At) -> str | None:
    for given in grouped.values():
        if len(given) > 1:
            return refused(at.then(given[0][0]), "is given twice; give it once.")
    return None


def boolean(value: Any, at: At) -> str | None:
    return None if isinstance(value, bool) else wrong(at, "true or false")


def integer(value: Any, at: At) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else wrong(at, "a whole number")


def text(value: Any, at: At) -> str | None:
    return None if isinstance(value, str) else wrong(at, "text")


def nullable(check: Check) -> Check:
    """`check`, or null (a Go pointer left unset)."""

    def either(value: Any, at: At) -> str | None:
        return None if value is None else check(value, at)

    return either


def items(check: Check) -> Check:
    """A list (or null, an empty Go slice) of values passing `check`."""

    def each(value: Any, at: At) -> str | None:
        if value is None:
            return None
        if not isinstance(value, list):
            return wrong(at, "a list")
        for index, item in enumerate(value):
            found = check(item, At(f"{at.path}[{index}]", at.roots))
            if found:
                return found
        return None

    return each


texts = items(text)


def command(value: Any, at: At) -> str | None:
    """A command: text or a list of text (Go's StrSlice)."""
    return None if isinstance(value, str) else texts(value, at)


def entries(check: Check, keys: Collection[str] | None = None) -> Check:
    """A map (or null) with keys as given (only `keys`, if named), each value passing `check`."""

    def each(value: Any, at: At) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Obj):
            return wrong(at, "an object")
        seen: set[str] = set()
        for key, item in value.pairs:
            inner = At(f"{at.path}[{key!r}]", at.roots)
            if keys is not None and key not in keys:
                return refused(inner, "is not something the course needs.")
            if key in seen:
                return refused(inner, "is given twice; give it once.")
            seen.add(key)
            found = check(item, inner)
            if found:
                return found
        return None

    return each


labels = entries(text)
empty_struct = struct({}, nullable=True)


def only(accept: Callable[[Any], bool], why: str, kind: Check = text) -> Check:
    """A value of type `kind` that `accept` accepts; else refused with `why` (a sentence about the flag,
    where `{value}` stands for the value)."""

    def check(value: Any, at: At) -> str | None:
        found = kind(value, at)
        if found is None and not accept(value):
            return "Refused: " + why.replace("{value}", str(value))
        return found

    return check


def one_of(*allowed: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in allowed


def unset(value: Any) -> bool:
    """null, false, 0, "" or empty: the field says nothing."""
    return value is None or value is False or value == 0 or value in ("", [], ()) or value == Obj([])


def anything(value: Any, at: At) -> str | None:
    """Any JSON value (for fields whose check is about more than their type)."""
    return None


def namespace(*allowed: str) -> Callable[[Any], bool]:
    """A namespace mode: one of `allowed` or another container's (`container:web`), never the machine's."""
    return lambda value: isinstance(value, str) and (value in allowed or value.startswith("container:"))


# Folders shared with a container, and volumes that share them.


def bind_refusal(source: str, typed: str, roots: tuple[str, ...], read_only: bool = False) -> str | None:
    """A folder of the machine shared with a container: only inside the roots (or, read-only, the
    probe's), never an engine's socket."""
    path = _clean(source)
    if posixpath.basename(path).endswith(_ENGINE_SOCKETS):
        return f"Refused: `{typed}` hands the container the Docker engine itself, and with it the machine."
    if any(_within(path, _clean(root)) for root in roots):
        return None
    if read_only and path == PROBE_SOURCE:  # the folder itself: the engine would make a missing one
        return None
    allowed = f"only folders inside {', '.join(roots)} may be" if roots else "no folder of the machine may be"
    return (
        f"Refused: `{typed}` shares the machine's {path} with the container; {allowed} shared here "
        "(a named volume, `-v name:/path`, always works)."
    )


_BIND_FLAGS = frozenset({"bind", "rbind"})


def volume_options_refusal(options: Obj, flag: str, roots: tuple[str, ...]) -> str | None:
    """The local driver's options: none, tmpfs, or a bind (`type=none`) of an allowed folder.

    The engine splits `o` on commas and looks each flag up as it is spelled: ` bind` is no bind
    to it but an option handed to the file system of `type` (debugfs and bpf ignore it).
    """
    option: dict[str, list[str]] = {}
    for key, value in options.pairs:
        option.setdefault(key, []).append(str(value))
    if any(_BIND_FLAGS & set(o.split(",")) for o in option.get("o", [])):
        return _bound_volume_refusal(option, flag, roots)
    kinds = option.get("type", []) or [""] * bool(option.get("device"))
    odd = [kind for kind in kinds if kind != "tmpfs"]
    if odd:
        typed = flag.format(f"type={odd[0]}")
        return f"Refused: `{typed}` mounts the machine's files or disks; only tmpfs volumes take options."
    return None


def _bound_volume_refusal(option: dict[str, list[str]], flag: str, roots: tuple[str, ...]) -> str | None:
    """A volume that binds a folder: `type=none` (or none given) and a folder inside the roots."""
    odd = [kind for kind in option.get("type", []) if kind != "none"]
    if odd:
        typed = flag.format(f"type={odd[0]}")
        return (
            f"Refused: `{typed}` with `{flag.format('o=bind')}`: a volume sharing a folder has `type=none`."
        )
    for device in option.get("device", []):
        found = bind_refusal(device, f"{flag.format('o=bind')} {flag.format('device=' + device)}", roots)
        if found:
            return found
    return None


def volume_driver(flag: str) -> Check:
    why = f"`{flag} {{value}}` needs a volume plugin; the course uses the local driver."
    return only(one_of("", "local"), why)


def _clean(path: str) -> str:
    """`path` with `..`, `.`, doubled and trailing slashes resolved (symbolic links are not)."""
    if not path.startswith("/"):
        return posixpath.normpath(path)
    return "/" + posixpath.normpath(path).lstrip("/")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
