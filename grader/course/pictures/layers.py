"""An image's layers, bottom-up: one bar each, its size and the instruction that made it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import ImageNotFound

from grader.course.pictures import svg

INSTRUCTIONS = re.compile(
    r"(FROM|RUN|CMD|LABEL|MAINTAINER|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD"
    r"|STOPSIGNAL|HEALTHCHECK|SHELL)\b"
)
SHELL = "/bin/sh -c "
UNITS = ["kB", "MB", "GB", "TB"]
INK, MUTED, OWN, OWN_EDGE, BASE, BASE_EDGE = "#263238", "#607d8b", "#64b5f6", "#1e6fb3", "#cfd8dc", "#78909c"
SIZE_RIGHT, BAR_LEFT, BAR_SPAN, GAP, INSTRUCTION_CHARS = 92, 104, 280, 4, 68


@dataclass(frozen=True)
class Step:
    """One entry of an image's history: what made it, how big it is, whether the base image has it."""

    created_by: str
    size: int
    base: bool = False
    comment: str = ""

    @property
    def instruction(self) -> str:
        return instruction(self.created_by, self.comment)


def layers(client: docker.DockerClient, image: str, base: str | None = None) -> svg.Picture:
    """Image `image`'s layers, oldest at the bottom; those shared with image `base` marked as its."""
    history = _history(client, image)
    shared = _shared(history, _history(client, base)) if base and _exists(client, base) else 0
    steps = [_step(entry, position < shared) for position, entry in enumerate(history)]
    heading = f"{image}: {len(steps)} layers, {human_size(sum(step.size for step in steps))}"
    if base and not _exists(client, base):
        heading += f" (no image {base} to compare with)"
    return draw(steps, heading, base if shared else None)


def human_size(size: int) -> str:
    """A size as `docker history` shows it (decimal units, three digits), with a space: `1.98 MB`."""
    if size < 1000:
        return f"{max(size, 0)} B"
    value, unit = size / 1000, UNITS[0]
    for bigger in UNITS[1:]:
        if value < 999.5:
            break
        value, unit = value / 1000, bigger
    return f"{value:.3g} {unit}"


def instruction(created_by: str, comment: str = "") -> str:
    """The Dockerfile instruction behind a history entry, without the builder's wrapping."""
    line = " ".join(created_by.split())
    if not line:
        return comment.strip() or "(no instruction recorded)"
    line = _without_build_args(line.removesuffix(" # buildkit"))
    if "#(nop) " in line:
        line = line.split("#(nop) ", 1)[1].strip()
    line = line.removeprefix("RUN ").removeprefix(SHELL)
    if not INSTRUCTIONS.match(line):
        line = f"RUN {line}"
    return _short_digests(line)


def draw(steps: list[Step], heading: str, base: str | None) -> svg.Picture:
    """The picture of `steps` (oldest first), stacked from the bottom."""
    largest = max((step.size for step in steps), default=0)
    heights = [_bar_height(step.size, largest) for step in steps]
    top = 44
    bottom = top + sum(heights) + GAP * len(steps)
    body = [svg.text(12, 24, heading, font_size=15, font_weight="bold", fill=INK)]
    y = bottom
    for step, height in zip(steps, heights, strict=True):
        y -= height + GAP
        body.append(_bar(step, y, height, _bar_width(step.size, largest)))
    body += _base_bracket(steps, heights, bottom, base) + _legend(bottom + 26, base)
    longest = max((len(svg.shorten(step.instruction, INSTRUCTION_CHARS)) for step in steps), default=20)
    width = max(BAR_LEFT + BAR_SPAN + 20 + svg.width_of("x" * longest), svg.width_of(heading, 15) + 24, 560)
    return svg.document(width, bottom + 44, body, f"Layers of {heading}")


def _history(client: docker.DockerClient, image: str) -> list[dict[str, Any]]:
    """The image's history entries, oldest first."""
    return list(reversed(client.images.get(image).history()))


def _exists(client: docker.DockerClient, image: str) -> bool:
    try:
        client.images.get(image)
    except ImageNotFound:
        return False
    return True


def _shared(history: list[dict[str, Any]], base: list[dict[str, Any]]) -> int:
    """How many of the oldest entries of `history` are the base image's own."""
    count = 0
    for mine, theirs in zip(history, base, strict=False):
        if _identity(mine) != _identity(theirs):
            break
        count += 1
    return count if count == len(base) else 0


def _identity(entry: dict[str, Any]) -> tuple[object, ...]:
    return (entry.get("Created"), entry.get("CreatedBy"), entry.get("Size"))


def _step(entry: dict[str, Any], base: bool) -> Step:
    return Step(entry.get("CreatedBy") or "", int(entry.get("Size") or 0), base, entry.get("Comment") or "")


def _without_build_args(line: str) -> str:
    """`|2 A=1 B=2 /bin/sh -c make` (a RUN with build arguments) as `/bin/sh -c make`."""
    found = re.match(r"^(?:RUN )?\|(\d+) (.*)$", line)
    if not found:
        return line
    parts = found.group(2).split(" ", int(found.group(1)))
    return parts[-1]


def _short_digests(line: str) -> str:
    """Long hex digests (`file:73e2…`, `sha256:…`) cut to their first twelve digits."""
    return re.sub(r"\b((?:file|multi|dir|sha256):[0-9a-f]{12})[0-9a-f]{20,}", r"\1…", line)


def _fraction(size: int, largest: int) -> float:
    """A size between 0 and 1 on a log scale: a 10 B layer still shows beside a 100 MB one."""
    return math.log1p(size) / math.log1p(largest) if size > 0 and largest > 0 else 0.0


def _bar_height(size: int, largest: int) -> float:
    return 16.0 if size == 0 else 22 + 18 * _fraction(size, largest)


def _bar_width(size: int, largest: int) -> float:
    return 40.0 if size == 0 else 70 + (BAR_SPAN - 70) * _fraction(size, largest)


def _bar(step: Step, y: float, height: float, width: float) -> str:
    """One layer: its size at the left, its bar centred, its instruction at the right."""
    fill, edge = (BASE, BASE_EDGE) if step.base else (OWN, OWN_EDGE)
    middle = y + height / 2 + 4
    parts = [
        svg.title(f"{human_size(step.size)} ({step.size} bytes): {step.created_by or step.comment}"),
        svg.element(
            "rect",
            x=BAR_LEFT + (BAR_SPAN - width) / 2,
            y=y,
            width=width,
            height=height,
            rx=3,
            fill=fill if step.size else "#ffffff",
            stroke=edge,
            stroke_width=1.2,
        ),
        svg.text(
            SIZE_RIGHT,
            middle,
            human_size(step.size),
            text_anchor="end",
            fill=INK if step.size else MUTED,
            font_weight="bold" if step.size else None,
        ),
        svg.text(
            BAR_LEFT + BAR_SPAN + 16,
            middle,
            svg.shorten(step.instruction, INSTRUCTION_CHARS),
            fill=MUTED if step.base else INK,
            font_family="DejaVu Sans Mono, monospace",
            font_size=11.5,
        ),
    ]
    return svg.element("g", "".join(parts), class_="layer base" if step.base else "layer")


def _base_bracket(steps: list[Step], heights: list[float], bottom: float, base: str | None) -> list[str]:
    """A bracket at the left spanning the layers that come from the base image."""
    shared = sum(1 for step in steps if step.base)
    if not base or not shared:
        return []
    top = bottom - sum(heights[:shared]) - GAP * shared
    x = 20
    path = f"M {x + 6} {top} H {x} V {bottom - GAP} H {x + 6}"
    label = f"from {svg.shorten(base, 30)}"
    middle = (top + bottom) / 2
    drawn = [svg.element("path", d=path, fill="none", stroke=BASE_EDGE, stroke_width=1.5)]
    if svg.width_of(label, 10.5) < bottom - top:
        drawn.append(
            svg.text(
                x - 9,
                middle,
                label,
                fill=MUTED,
                font_size=10.5,
                text_anchor="middle",
                transform=f"rotate(-90 {x - 9} {middle})",
            )
        )
    return drawn


def _legend(y: float, base: str | None) -> list[str]:
    """What the bars' colours mean."""
    items = [(OWN, OWN_EDGE, "a layer of this image"), ("#ffffff", OWN_EDGE, "no files (settings only)")]
    if base:
        items.insert(1, (BASE, BASE_EDGE, f"from {svg.shorten(base, 30)}"))
    drawn: list[str] = []
    x = 16.0
    for fill, edge, words in items:
        drawn.append(svg.element("rect", x=x, y=y - 10, width=22, height=12, rx=2, fill=fill, stroke=edge))
        drawn.append(svg.text(x + 28, y, words, fill=INK, font_size=11.5))
        x += 28 + svg.width_of(words, 11.5) + 26
    return drawn
