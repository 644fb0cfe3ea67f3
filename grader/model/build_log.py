"""Reading a build's log: the step that failed or was running, what it printed, its base and line.

Two shapes: the classic builder's (`Step 4/6 : RUN ...`, then what it printed) and
BuildKit's plain progress (`#7 [4/6] RUN ...`, `#7 0.123 <printed>`, `#7 DONE`,
and after a failure a summary ` > [4/6] RUN ...:` and `Dockerfile:7`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NOISE = (" ---> ", "Removing intermediate container")
STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
VERTEX = re.compile(r"^#(\d+) \[(?:(\S+) )?(\d+/\d+)\] (.*)$")
PRINTED = re.compile(r"^#(\d+) \d+\.\d+ ?(.*)$")
ENDED = re.compile(r"^#(\d+) (DONE|CACHED|ERROR|CANCELED)\b")
SUMMARY = re.compile(r"^ > \[(?:(\S+) )?(\d+/\d+)\] (.*):$")
SOURCE = re.compile(r"^Dockerfile:(\d+)(?:-\d+)?$")
IMAGE_REF = re.compile(r"^(?:docker\.io/)?(?:library/)?([^@\s]+?)(?::latest)?(?:@\S*)?$")


@dataclass(frozen=True)
class Step:
    """One step of a build's log (`Step 4/6 : RUN ...`, `#7 [4/6] RUN ...`): what it printed, its
    stage's base, and the line of the Dockerfile it is on (0 when not known)."""

    number: str  # "4/6"
    instruction: str
    printed: list[str]
    base: str
    line: int = 0


def last_step(log: str) -> Step | None:
    """The step that failed or was running: BuildKit's (`buildkit_step`) or, in a classic builder's
    `log`, the last one started."""
    if any(VERTEX.match(line) for line in log.splitlines()):
        return buildkit_step(log)
    step: Step | None = None
    base = ""
    for line in log.splitlines():
        found = STEP.match(line)
        if found:
            instruction = found[3].strip()
            if instruction.upper().startswith("FROM "):
                base = next((word for word in instruction.split()[1:] if not word.startswith("--")), "")
            step = Step(f"{found[1]}/{found[2]}", instruction, [], base)
        elif step is not None and not line.startswith(NOISE) and line.strip():
            step.printed.append(line)
    return step


@dataclass
class _Vertex:
    """A step of BuildKit's plain progress: its header's parts, what it printed, how it ended."""

    stage: str
    number: str
    name: str
    printed: list[str]
    ended: str = ""


def buildkit_step(log: str) -> Step | None:
    """The step BuildKit's plain progress names as failed (its ` > [2/3] RUN ...:` summary, or a
    step that ended in ERROR), else the last one started and not ended (running at a time limit)."""
    vertices: dict[str, _Vertex] = {}
    summary: tuple[str, str] | None = None
    line = 0
    for text in log.splitlines():
        _read_line(text, vertices)
        named = SUMMARY.match(text)
        summary = (named[1] or "", named[2]) if named else summary
        source = SOURCE.match(text)
        line = int(source[1]) if source and summary else line
    steps = {(vertex.stage, vertex.number): vertex for vertex in vertices.values()}
    failed = steps.get(summary) if summary else None
    failed = failed or next((v for v in reversed(steps.values()) if v.ended == "ERROR"), None)
    found = failed or next((v for v in reversed(steps.values()) if not v.ended), None)
    if found is None:
        return None
    base = steps.get((found.stage, "1/" + found.number.split("/")[1]))
    base_name = base.name.split()[1] if base and len(base.name.split()) > 1 else ""
    image = IMAGE_REF.match(base_name)
    return Step(found.number, found.name, found.printed, image[1] if image else base_name, line)


def _read_line(text: str, vertices: dict[str, _Vertex]) -> None:
    """Note one line of plain progress: a step's header, a line it printed, or its end."""
    header = VERTEX.match(text)
    if header:
        known = vertices.get(header[1])
        if known is None or known.name != header[4]:
            vertices[header[1]] = _Vertex(header[2] or "", header[3], header[4], [])
        return
    printed = PRINTED.match(text)
    if printed and printed[1] in vertices:
        vertices[printed[1]].printed.append(printed[2])
        return
    ended = ENDED.match(text)
    if ended and ended[1] in vertices:
        vertices[ended[1]].ended = ended[2]


def source_line(dockerfile: str, instruction: str) -> int:
    """The line of `dockerfile` an instruction as BuildKit names it starts on (its heredoc's summary
    `(echo one...)` left out), or 0."""
    wanted = " ".join(re.sub(r" \(.*\.\.\.\)$", "", instruction).split())
    for number, text in enumerate(dockerfile.splitlines(), 1):
        if wanted and " ".join(text.split()).startswith(wanted):
            return number
    return 0
