"""A toolkit for check authors: what exercises/*/checks.py import, in one place.

    from grader.checks.toolkit import Problems, check, run, said, wait_until

`grader.rubric` is a leaf that every layer may use, so it cannot re-export what needs the
engine's modules; the toolkit re-exports `check` instead, and an exercise's checks import from
here alone. Each helper that checks something passes silently or raises AssertionError with a
sentence of what was found, which is what the student reads.

- `check`: marks a test as a rubric item (grader.rubric).
- The fixtures' types, for annotations: `build: BuildResult`, `run: RunImage`, `image: ImageInfo`,
  `images: Images`, `host`/`image_fs: GraderHost`, `env: Environment`, `saved: SavedImage` (the
  image as `docker save` gives it: where a value lies in its layers, config and history).
- `wait_until`: polls until something holds or time is up.
- `said(result)`: what a command said, in a few words for a message.
- `run(host, command, *args)`: `host.run` that fails with the command, its exit code and its
  words; `succeeded(result)` does the same for a result in hand (the `run` fixture's).
- `runs_image(container, image)`, `layers_start_with(image, base)`: what a container or an
  image is made of, by ID and by layer.
- `Problems`: check several things, then fail once, listing every problem.
- `http_get`, `http_url`, `Reply`, `NoAnswer`: a registry's HTTP API, asked by the checks and by
  the notebooks' assertions (grader.assertions.in_registry).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar

from docker.models.containers import Container
from docker.models.images import Image

from grader.checks.backend import GraderHost, wait_until
from grader.checks.environment import Environment
from grader.checks.images_info import ImageInfo
from grader.checks.saved_image import SavedImage, Search
from grader.errors import SubmissionError
from grader.rubric import check
from grader.sandbox.build import BuildResult
from grader.sandbox.containers import RunResult
from grader.text import decode, shorten

__all__ = [
    "BODY_LIMIT",
    "BuildResult",
    "Environment",
    "GraderHost",
    "ImageInfo",
    "Images",
    "NoAnswer",
    "Problems",
    "Reply",
    "RunImage",
    "RunResult",
    "SavedImage",
    "Search",
    "check",
    "http_get",
    "http_url",
    "layers_of",
    "layers_start_with",
    "run",
    "runs_image",
    "said",
    "short_id",
    "succeeded",
    "wait_until",
]

SAID_LIMIT = 200
"""Characters of a command's output quoted in a message."""
BODY_LIMIT = 1 << 20
"""Bytes of an HTTP answer read: a registry's tag lists, manifests and configurations are small."""
TIMED_OUT = "it was still running when its time was up, so it was stopped"

R = TypeVar("R")

RunImage = Callable[..., RunResult]
"""The `run` fixture: `run(*args, image=None, entrypoint=..., user=..., timeout_s=...)`."""
Images = Callable[[str], ImageInfo]
"""The `images` fixture: what an image (a base image, by name) says about itself."""


class Ran(Protocol):
    """What a command gave: a `docker run` (RunResult), testinfra's CommandResult, a lookout's Answer."""

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...


class Host(Protocol):
    """Anything that runs a command: a testinfra host, `host.net`, `host.pidns`."""

    def run(self, command: str, *args: str, **kwargs: Any) -> Any: ...


def exit_code(result: Ran) -> int | None:
    """The exit code of `result` (None when it had none: it was stopped)."""
    code = getattr(result, "exit_code", getattr(result, "rc", None))
    return code if isinstance(code, int) else None


def _timed_out(result: Ran) -> bool:
    return bool(getattr(result, "timed_out", False))


def _command(result: Ran) -> str:
    command = getattr(result, "command", "")
    return decode(command) if isinstance(command, bytes) else str(command)


def _printed(result: Ran, limit: int) -> str:
    if result.stdout.strip():
        return f"printed {shorten(result.stdout, limit)!r}"
    if result.stderr.strip():
        return f"printed nothing on its output; its error output was {shorten(result.stderr, limit)!r}"
    return "printed an empty line" if result.stdout else "printed nothing"


def said(result: Ran, limit: int = SAID_LIMIT) -> str:
    """What a command said, in a few words a student can compare with what was expected:
    its output, else its error output, else its exit code; or that its time was up."""
    if _timed_out(result):
        return TIMED_OUT
    words = _printed(result, limit)
    return f"it {words}" + (
        f" and exited with code {exit_code(result)}" if words == "printed nothing" else ""
    )


def succeeded(result: R, *, codes: Sequence[int] = (0,)) -> R:
    """`result` itself if its command exited with one of `codes`; else AssertionError naming the
    command, its exit code and what it said (its error output first, where a failure's reason is)."""
    ran: Any = result
    if exit_code(ran) in codes and not _timed_out(ran):
        return result
    command = _command(ran)
    shown = f"`{shorten(command, 160)}`" if command else "the command"
    if _timed_out(ran):
        raise AssertionError(f"{shown} was still running when its time was up, so it was stopped")
    ended = f"{shown} exited with code {exit_code(ran)}"
    if ran.stderr.strip():  # where the reason of a failure is
        raise AssertionError(f"{ended}; its error output was {shorten(ran.stderr, SAID_LIMIT)!r}")
    raise AssertionError(f"{ended} and {_printed(ran, SAID_LIMIT)}")


def run(host: Host, command: str, *args: str, codes: Sequence[int] = (0,), **kwargs: Any) -> Any:
    """`host.run(command, *args)`, which must exit with one of `codes` (AssertionError otherwise,
    naming the command, its exit code and what it said)."""
    return succeeded(host.run(command, *args, **kwargs), codes=codes)


def short_id(digest: str) -> str:
    """The 12 hex digits Docker shows of an ID or digest."""
    return digest.removeprefix("sha256:")[:12]


def _named(image: Image | ImageInfo) -> str:
    if isinstance(image, ImageInfo):
        return image.tag
    return image.tags[0] if image.tags else short_id(str(image.id))


def runs_image(container: Container, image: Image, *, name: str = "") -> None:
    """`container` runs `image`, by ID: a tag moved onto another image does not count.

    `name` is what the image is called in the message (its first tag by default). When the
    container was started by that very name, the message says another image was tagged so.
    """
    name = name or _named(image)
    if container.attrs.get("Image") == image.id:
        return
    started = container.attrs["Config"].get("Image", "?")
    found = f"{container.name} runs the image {started}"
    last = started.split("/")[-1]
    if last == name or f"{last}:latest" == name:
        own = short_id(str(container.attrs.get("Image", "")))
        raise AssertionError(
            f"{found} ({own}), not the {name} the course uses ({short_id(str(image.id))}): "
            f"another image was tagged {name}"
        )
    raise AssertionError(f"{found}, not {name}")


def layers_of(image: Image | ImageInfo) -> list[str]:
    """The IDs of `image`'s file system layers, bottom first."""
    if isinstance(image, ImageInfo):
        return list(image.layers)
    return list((image.attrs.get("RootFS") or {}).get("Layers") or [])


def layers_start_with(
    image: Image | ImageInfo, base: Image | ImageInfo, *, name: str = "", meaning: str = "", own: bool = False
) -> None:
    """`image`'s layers start with all of `base`'s layers (it was built on `base`); with `own`,
    it adds at least one of its own. `name` is what `base` is called in the message, `meaning`
    what it says when they do not start so ("it was built FROM another image")."""
    mine, below = layers_of(image), layers_of(base)
    name = name or _named(base)
    if mine[: len(below)] != below:
        found = f"its {len(mine)} layer(s) do not start with {name}'s {len(below)} layer(s)"
        raise AssertionError(found + (f": {meaning}" if meaning else ""))
    if own and len(mine) == len(below):
        raise AssertionError(f"it has {name}'s {len(below)} layer(s) and none of its own")


class Problems:
    """Problems found across several things: check them all, then fail once listing each.

        with Problems() as problems:
            for name in NAMES:
                with problems.collect():
                    container = env.running(name)    # an AssertionError is noted, and the
                    assert ..., f"..."               # next name is checked
                problems.add(other_problem(name))    # a sentence, or None

    Leaving the `with Problems()` block raises one AssertionError with every problem, in order.
    """

    def __init__(self, separator: str = "; ") -> None:
        self.found: list[str] = []
        self.separator = separator

    def add(self, problem: str | None) -> None:
        """Note `problem` (a sentence); None or "" is no problem."""
        if problem:
            self.found.append(problem)

    @contextlib.contextmanager
    def collect(self) -> Iterator[None]:
        """Note the AssertionError raised inside, if any, and carry on after the block. Its
        message is the problem (without what pytest's assertion rewriting adds to it)."""
        try:
            yield
        except AssertionError as problem:
            self.add(str(problem).split("\nassert ")[0].strip())

    def __bool__(self) -> bool:
        return bool(self.found)

    def __str__(self) -> str:
        return self.separator.join(self.found)

    def __enter__(self) -> Problems:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None and self.found:
            raise AssertionError(str(self))


class NoAnswer(SubmissionError):
    """No HTTP answer came: the connection was refused, closed or timed out."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status, reason phrase and (the first BODY_LIMIT bytes of) its body."""

    status: int
    reason: str
    body: bytes

    def json(self, what: str) -> dict[str, Any]:
        """The body as a JSON object; AssertionError naming `what` was asked when it is not one."""
        try:
            data = json.loads(self.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AssertionError(f"the registry's answer to {what} is not the JSON it should be")
        return data


def http_url(address: str, port: int, path: str) -> str:
    """`http://ADDRESS:PORT/PATH`, an IPv6 address in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


def http_get(url: str, accept: str = "application/json", *, timeout_s: float = 5.0) -> Reply:
    """GET `url` (http or https) with the Accept header `accept`. Any answer, a 404 too, is a
    Reply; NoAnswer says why none came (refused, closed, timed out)."""
    parts = urllib.parse.urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = kind(parts.hostname or "", parts.port, timeout=timeout_s)
    except (ValueError, http.client.HTTPException) as error:  # a port that is not a number
        raise NoAnswer(str(error) or type(error).__name__) from None
    try:
        connection.request("GET", target, headers={"Accept": accept})
        response = connection.getresponse()
        return Reply(response.status, response.reason, response.read(BODY_LIMIT))
    except (OSError, http.client.HTTPException) as error:
        raise NoAnswer(getattr(error, "strerror", None) or str(error) or type(error).__name__) from None
    finally:
        connection.close()
