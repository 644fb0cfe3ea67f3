"""A Dockerfile's `# syntax=` parser directive, which asks BuildKit to fetch a Dockerfile frontend.

Docker's documentation starts its examples with `# syntax=docker/dockerfile:1`, so students copy
it. The frontend is an image on Docker Hub, and no registry is reachable from a sandbox: the grader
builds with BuildKit's own Dockerfile frontend instead (the directive's line is blanked in the packed
context, so line numbers stay) and tells the student so.
"""

from __future__ import annotations

import io
import tarfile

from grader.grading.dockerfile_refs import DIRECTIVE

SHOWN = 80  # characters of the directive's value told to the student


def directive(dockerfile: str) -> tuple[int, str] | None:
    """The line index and value of `dockerfile`'s `syntax` directive, if it has one. As in Docker's
    parser, directives are the comments of the form `# key=value` at the very top."""
    for index, line in enumerate(dockerfile.removeprefix("\ufeff").split("\n")):
        found = DIRECTIVE.match(line.removesuffix("\r").strip())
        if found is None:
            return None
        if found[1].lower() == "syntax":
            return index, found[2]
    return None


def blanked(dockerfile: str) -> tuple[str, str | None]:
    """`dockerfile` with its syntax directive's line made a bare `#`, and the directive's value."""
    found = directive(dockerfile)
    if found is None:
        return dockerfile, None
    index, value = found
    lines = dockerfile.split("\n")
    lines[index] = "\ufeff#" if index == 0 and lines[0].startswith("\ufeff") else "#"
    return "\n".join(lines), value


def with_builtin_frontend(context_tar: bytes, name: str = "Dockerfile") -> tuple[bytes, str | None]:
    """The packed context with its Dockerfile's syntax directive blanked, and the directive's value
    (None, and the context as it was, when there is none or the Dockerfile is not UTF-8 text)."""
    with tarfile.open(fileobj=io.BytesIO(context_tar)) as source:
        member = source.getmember(name)
        handle = source.extractfile(member)
        try:
            text = handle.read().decode() if handle else ""
        except UnicodeDecodeError:
            return context_tar, None
        changed, value = blanked(text)
        if value is None:
            return context_tar, None
        return _replaced(source, member, changed.encode()), value


def _replaced(source: tarfile.TarFile, member: tarfile.TarInfo, data: bytes) -> bytes:
    """A copy of `source` with `member`'s content replaced by `data`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as copy:
        for entry in source.getmembers():
            if entry.name == member.name:
                entry.size = len(data)
                copy.addfile(entry, io.BytesIO(data))
            else:
                copy.addfile(entry, source.extractfile(entry) if entry.isfile() else None)
    return buffer.getvalue()


def advice(value: str) -> str:
    """What the student is told when the grader built without the frontend their directive names."""
    shown = "".join(c for c in value[:SHOWN] if c.isprintable())
    return (
        f"Your Dockerfile asks for the Dockerfile frontend `{shown}` (its `# syntax=` line). No "
        "registry is reachable here to fetch it, so it was built with BuildKit's own Dockerfile "
        "frontend, which reads the same instructions; on your machine, with Docker Hub, the line works."
    )
