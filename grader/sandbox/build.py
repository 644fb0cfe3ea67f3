"""Building a submission's image, bounded in time and output: what a build gives and its log.

A sandbox of its own builds with BuildKit through the docker CLI (grader.sandbox.buildx); an engine
given already up (a notebook's sandbox) builds with the engine's API (`build` here, the classic
builder). Both logs are kept the same way (`BuildLog`) and read by grader.model.failure.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests
import urllib3.exceptions

from grader.text import LOG_LIMIT, last_lines, tail

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOISE = (" ---> ", "Removing intermediate container")
STEP_LINE = re.compile(r"^Step \d+/\d+ : .*$", re.MULTILINE)
VERTEX = re.compile(r"^#(\d+) \[(?:(\S+) )?\d+/\d+\] (.*)$")
"""A BuildKit step's header in `--progress=plain` output: `#7 [build 3/5] RUN make`."""
VERTEX_END = re.compile(r"^#(\d+) (?:DONE|CACHED|ERROR|CANCELED)\b")


@dataclass
class BuildResult:
    """What building the submission's Dockerfile gave."""

    ok: bool
    log: str = ""
    error: str = ""
    image: str = ""
    timed_out: bool = False
    duration_s: float = 0.0
    cause: str = ""  # the engine's own error, unexplained (grader.model.failure reads it)
    secret: str = ""  # the value of the build's secret (Exercise.secret), "" where it was given none

    @classmethod
    def refused(cls, reason: str) -> BuildResult:
        """A build that never started because the submission was refused."""
        return cls(ok=False, error=reason)


class BuildLog:
    """Build output kept up to a bound: the end matters most when a build fails. The lines that
    name a step are remembered, so that a cut log still names the step that failed or was running
    and its stage's base: the classic builder's last `Step N/M :` line and its stage's FROM, and
    BuildKit's headers of each stage's FROM and of every step not ended."""

    def __init__(self, limit: int = LOG_LIMIT * 4) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0
        self.step = ""  # the last `Step N/M : ...` line seen
        self.base = ""  # the last `Step N/M : FROM ...` line seen
        self.froms: dict[str, str] = {}  # BuildKit: each stage's `#4 [stage 1/3] FROM ...` header
        self.open: dict[str, str] = {}  # BuildKit: the header of each step started and not ended
        self._partial = ""

    def add(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._note(line)
        self.parts.append(text)
        self.size += len(text)
        while self.size > self.limit and len(self.parts) > 1:
            removed = self.parts.pop(0)
            self.size -= len(removed)
            self.dropped += len(removed)

    def _note(self, line: str) -> None:
        if STEP_LINE.match(line):
            self.step = line
            self.base = line if line.upper().split(" : ", 1)[-1].startswith("FROM ") else self.base
        header = VERTEX.match(line)
        if header:
            self.open[header[1]] = line
            if header[3].upper().startswith("FROM "):
                self.froms[header[2] or ""] = line
        ended = VERTEX_END.match(line)
        if ended:
            self.open.pop(ended[1], None)

    def text(self) -> str:
        """What was kept, after the step lines that were cut: they name the step that failed or
        was running, and its base (grader.model.failure)."""
        kept = tail("".join(self.parts), cut_before=self.dropped)
        named = [self.base, self.step, *self.froms.values(), *self.open.values()]
        lost = [line for line in dict.fromkeys(named) if line and line not in kept]
        return "\n".join([*lost, kept])


def build(
    client: docker.DockerClient,
    context_tar: bytes,
    *,
    tag: str,
    timeout_s: float,
    network: bool,
    on_timeout: Callable[[], None],
) -> BuildResult:
    """Build `context_tar` as `tag`; past `timeout_s`, call `on_timeout` to stop it."""
    log = BuildLog()
    started = time.monotonic()
    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    timer.start()
    error = ""
    try:
        for chunk in _stream(client, context_tar, tag=tag, network=network):
            if "stream" in chunk:
                log.add(clean(chunk["stream"]))
            elif "error" in chunk:
                error = chunk["error"].strip()
                log.add(error + "\n")
    except (
        docker.errors.APIError,
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        OSError,
    ) as broken:
        error = error or _reason(broken)
    finally:
        timer.cancel()
    duration = time.monotonic() - started
    if duration >= timeout_s:
        return BuildResult(
            ok=False,
            log=log.text(),
            error=f"The build did not finish within {timeout_s:.0f} s and was stopped.",
            timed_out=True,
            duration_s=duration,
        )
    if error:
        explained = explain(error, log)
        return BuildResult(ok=False, log=log.text(), error=explained, duration_s=duration, cause=error)
    return BuildResult(ok=True, log=log.text(), image=tag, duration_s=duration)


def _stream(
    client: docker.DockerClient, context_tar: bytes, *, tag: str, network: bool
) -> Iterator[dict[str, Any]]:
    steps: Iterator[dict[str, Any]] = client.api.build(
        fileobj=io.BytesIO(context_tar),
        custom_context=True,
        tag=tag,
        rm=True,
        forcerm=True,
        nocache=True,  # what RUN steps print is graded; the engine's earlier builds must not hide it
        pull=False,
        network_mode=None if network else "none",
        decode=True,
    )
    return steps


def _reason(broken: Exception) -> str:
    """The engine's own words when it refused the build (say, a Dockerfile parse error)."""
    if isinstance(broken, docker.errors.APIError) and broken.explanation:
        return str(broken.explanation)
    return str(broken)


def explain(error: str, log: BuildLog) -> str:
    """The build error with the lines that led to it, without the builder's noise."""
    lines = [
        line
        for line in clean(log.text()).splitlines()
        if not line.startswith(NOISE) and line.strip() != error
    ]
    ending = last_lines("\n".join([*lines, clean(error)]), 10)
    if not lines:
        return f"The image did not build. The build stopped: {clean(error)}"
    return f"The image did not build. The build ended with:\n{ending}"


def clean(text: str) -> str:
    """Build output without terminal colour codes."""
    return ANSI.sub("", text)
