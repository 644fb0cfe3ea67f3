"""Small assertions about Docker objects, for notebook tasks and checks.

Each passes silently or raises AssertionError with a sentence saying what was found,
which is what the student reads.
"""

from __future__ import annotations

from docker.models.containers import Container
from docker.models.images import Image

from grader.text import shorten


def exited(container: Container, code: int = 0) -> None:
    """`container` has stopped, with exit code `code`."""
    container.reload()
    state = container.attrs["State"]
    if container.status == "running":
        raise AssertionError(f"{container.name} is still running")
    if state.get("ExitCode") != code:
        raise AssertionError(f"{container.name} stopped with exit code {state.get('ExitCode')}")


def printed(container: Container, text: str) -> None:
    """`container`'s output (stdout and stderr) holds `text`."""
    output = container.logs().decode(errors="replace")
    if text not in output:
        shown = shorten(output.strip(), 200) or "nothing"
        raise AssertionError(f"{container.name} printed {shown!r}")


def same_image(first: Image, second: Image) -> None:
    """Both names point at one image."""
    if first.id != second.id:
        raise AssertionError(
            f"{first.tags[0] if first.tags else first.short_id} is {first.short_id}, "
            f"{second.tags[0] if second.tags else second.short_id} is {second.short_id}: two different images"
        )
