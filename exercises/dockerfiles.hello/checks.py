"""Checks for dockerfiles.hello: a first image, FROM busybox, that says hello.

Each test is one rubric item; its assertion message is what the student reads as "found".
"""

from __future__ import annotations

import difflib
import re

import docker.errors

from grader.rubric import check
from grader.text import shorten

BUILD_MESSAGE = "building simple docker image"
GREETING = "Hello container"
MAX_BYTES = 10_000_000  # 10 MB, counted the way `docker images` counts (1 MB = 1,000,000 bytes)

# BuildKit writes "#6 0.231 " before each line a step prints; the classic builder writes it bare.
_BUILDKIT_PREFIX = re.compile(r"^#\d+ \d+(?:\.\d+)? ")
# The classic builder colours what a step writes to stderr: ESC[91m ... ESC[0m.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _printed_lines(log: str) -> list[str]:
    return [_BUILDKIT_PREFIX.sub("", _COLOUR.sub("", line)).strip() for line in log.splitlines()]


def _said(result) -> str:
    """What a run printed, in a few words a student can compare with what was expected."""
    if result.timed_out:
        return "it was still running when its time was up, so it was stopped"
    if result.stdout:
        return f"it printed {shorten(result.stdout, 200)!r}"
    if result.stderr:
        errors = shorten(result.stderr, 200)
        return f"it printed nothing on its output; its error output was {errors!r}"
    return "it printed nothing"


def _run(run, *args: str):
    """`run(*args)`; a container Docker cannot start fails the check, as with `docker run`."""
    try:
        return run(*args)
    except docker.errors.APIError as error:
        marker = "unable to start container process: "
        text = str(error)
        if marker not in text:
            raise
        reason = text.split(marker, 1)[1].split(": unknown", 1)[0]
        raise AssertionError(f"Docker could not start it: {reason}") from None


@check(
    points=2,
    expected=f"The build prints the line `{BUILD_MESSAGE}` (from a RUN echo).",
    hint=f'Add a step `RUN echo "{BUILD_MESSAGE}"`. RUN steps run while the image is built, '
    "and what they print shows up in the build output. Check the spelling and the lower case.",
    reproduce="docker build --no-cache --progress=plain -t hello .",
)
def test_build_prints_message(build):
    assert build.ok, shorten(build.error or "the image did not build", 600)
    lines = _printed_lines(build.log)
    if BUILD_MESSAGE in lines:
        return
    closest = difflib.get_close_matches(BUILD_MESSAGE, lines, n=1, cutoff=0.6)
    found = f"; the closest line was {closest[0]!r}" if closest else ""
    raise AssertionError(f"no line of the build output was exactly {BUILD_MESSAGE!r}{found}")


@check(
    points=3,
    expected=f"Running the image with no arguments prints exactly `{GREETING}`.",
    hint=f'Give the image a default command: CMD ["echo", "{GREETING}"]. '
    "Mind the capital H, the small c, and print nothing else.",
    reproduce="docker build -t hello . && docker run --rm hello",
)
def test_prints_hello(run):
    result = _run(run)
    assert result.stdout in (GREETING + "\n", GREETING), _said(result)


@check(
    points=2,
    expected="Running the image with no arguments exits with code 0 (success).",
    hint="The default command must finish and succeed. `echo` does; a command that is "
    "misspelled or missing does not. After `docker run`, `echo $?` shows the exit code.",
    reproduce='docker run --rm hello; echo "exit code: $?"',
)
def test_exits_zero(run):
    result = _run(run)
    assert not result.timed_out, "it was still running when its time was up, so it was stopped"
    detail = f"; its error output was {shorten(result.stderr, 200)!r}" if result.stderr else ""
    assert result.exit_code == 0, f"it exited with code {result.exit_code}{detail}"


@check(
    points=1,
    expected="The image is built FROM busybox.",
    hint="Start your Dockerfile with `FROM busybox`.",
    reproduce="docker history hello",
)
def test_based_on_busybox(image, images):
    base = images("busybox:latest").layers
    assert image.layers[: len(base)] == base, (
        "its bottom layers are not busybox's layers, so it was built FROM another image"
    )


@check(
    points=2,
    expected="The image is smaller than 10 MB.",
    hint="busybox itself is about 2 MB. Build FROM busybox and do not add big files.",
    reproduce="docker images hello",
)
def test_small_image(image):
    assert image.size < MAX_BYTES, f"the image is {image.size / 1e6:.1f} MB"
