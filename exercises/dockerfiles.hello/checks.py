"""Checks for dockerfiles.hello: a first image, FROM busybox, that says hello.

Each test is one rubric item; its assertion message is what the student reads as "found".
"""

from __future__ import annotations

import difflib
import re

from grader.checks.toolkit import (
    BuildResult,
    ImageInfo,
    Images,
    RunImage,
    check,
    layers_start_with,
    said,
    succeeded,
)
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


@check(
    points=2,
    expected=f"The build prints the line `{BUILD_MESSAGE}` (from a RUN echo).",
    hint=f'Add a step `RUN echo "{BUILD_MESSAGE}"`. RUN steps run while the image is built, '
    "and what they print shows up in the build output. Check the spelling and the lower case.",
    reproduce="docker build --no-cache --progress=plain -t hello .",
)
def test_build_prints_message(build: BuildResult) -> None:
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
def test_prints_hello(run: RunImage) -> None:
    result = run()
    assert result.stdout in (GREETING + "\n", GREETING), said(result)


@check(
    points=2,
    expected="Running the image with no arguments exits with code 0 (success).",
    hint="The default command must finish and succeed. `echo` does; a command that is "
    "misspelled or missing does not. After `docker run`, `echo $?` shows the exit code.",
    reproduce='docker run --rm hello; echo "exit code: $?"',
)
def test_exits_zero(run: RunImage) -> None:
    succeeded(run())


@check(
    points=1,
    expected="The image is built FROM busybox.",
    hint="Start your Dockerfile with `FROM busybox`.",
    reproduce="docker history hello",
)
def test_based_on_busybox(image: ImageInfo, images: Images) -> None:
    built_from = "it was built FROM another image"
    layers_start_with(image, images("busybox:latest"), name="busybox", meaning=built_from)


@check(
    points=2,
    expected="The image is smaller than 10 MB.",
    hint="busybox itself is about 2 MB. Build FROM busybox and do not add big files.",
    reproduce="docker images hello",
)
def test_small_image(image: ImageInfo) -> None:
    assert image.size < MAX_BYTES, f"the image is {image.size / 1e6:.1f} MB"
