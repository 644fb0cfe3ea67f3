"""Checks for dockerfiles.multistage: count in a Debian builder stage, ship on busybox.

The final image prints `GPL-3 has N lines`, where N is `wc -l` of
/usr/share/common-licenses/GPL-3 in debian:bookworm-slim.
"""

from __future__ import annotations

import re

from grader.checks.toolkit import (
    GraderHost,
    ImageInfo,
    Images,
    RunImage,
    check,
    layers_start_with,
    said,
    succeeded,
)
from grader.text import shorten

LICENSE = "/usr/share/common-licenses/GPL-3"
BUILDER = "debian:bookworm-slim"
BASE = "busybox:latest"
MAX_BYTES = 10_000_000  # 10 MB, counted the way `docker images` counts


def _line_count(run: RunImage) -> int:
    """N, counted the way the exercise asks, in the builder's own image."""
    result = succeeded(run("sh", "-c", f"wc -l < {LICENSE}", image=BUILDER))
    return int(result.stdout.strip())


def _own_steps(image: ImageInfo, images: Images) -> list[str]:
    """What the final image itself says: the steps it added on top of busybox, and its config."""
    base = images(BASE)
    steps = image.history
    if image.layers[: len(base.layers)] == base.layers:
        steps = steps[len(base.history) :]
    config = [*(image.entrypoint or []), *(image.cmd or [])]
    config += [f"{k}={v}" for k, v in {**image.env, **image.labels}.items()]
    return [step.created_by for step in steps] + config


@check(
    points=3,
    expected=f"Running the final image prints `GPL-3 has N lines`, where N is the line count "
    f"(`wc -l`) of {LICENSE} in {BUILDER}.",
    hint="In the builder stage, write the sentence to a file, e.g. "
    f'RUN echo "GPL-3 has $(wc -l < {LICENSE}) lines" > /message.txt '
    "(`wc -l < file` prints only the number; `wc -l file` adds the file name). "
    "Then COPY --from=builder the file into the final stage and `cat` it in CMD.",
    reproduce="docker build -t gpl . && docker run --rm gpl",
)
def test_prints_line_count(run: RunImage) -> None:
    result = run()
    expected = f"GPL-3 has {_line_count(run)} lines"
    assert not result.timed_out and result.stdout in (expected + "\n", expected), said(result)


@check(
    points=2,
    expected="The count is computed in a builder stage FROM debian:bookworm-slim, "
    "not typed into the final image.",
    hint="Let the builder stage run `wc -l` and hand over its result with COPY --from=builder. "
    "The final image should not contain the number in any of its own instructions.",
    reproduce="docker history --no-trunc gpl",
)
def test_count_not_hard_coded(image: ImageInfo, images: Images, run: RunImage) -> None:
    count = _line_count(run)
    typed = re.compile(rf"(?<![\w.]){count}(?![\w.])|GPL-3 has \d+ lines")
    for step in _own_steps(image, images):
        assert not typed.search(step), (
            f"the count is typed into the final image's own instructions: {shorten(step, 160)!r}"
        )


@check(
    points=2,
    expected="The final stage is built FROM busybox.",
    hint="End with a second stage that starts `FROM busybox`: only the last stage becomes the image.",
    reproduce="docker history gpl",
)
def test_based_on_busybox(image: ImageInfo, images: Images) -> None:
    debian = images(BUILDER).layers
    if image.layers[: len(debian)] == debian:
        raise AssertionError(f"the final image is built FROM {BUILDER}, not busybox")
    layers_start_with(image, images(BASE), name="busybox", meaning="it was built FROM another image")


@check(
    points=1,
    expected="The final image is smaller than 10 MB.",
    hint="Copy only the result (a small file) out of the builder stage, into a busybox stage.",
    reproduce="docker images gpl",
)
def test_small_image(image: ImageInfo) -> None:
    assert image.size < MAX_BYTES, f"the final image is {image.size / 1e6:.1f} MB"


@check(
    points=2,
    expected="The final image has no apt-get: Debian's tools stay in the builder stage.",
    hint="Copy just the file you need with COPY --from=builder, not Debian's whole file system.",
    reproduce="docker run --rm --entrypoint sh gpl -c 'command -v apt-get || echo none'",
)
def test_no_apt_get(image_fs: GraderHost) -> None:
    for path in ("/usr/bin/apt-get", "/bin/apt-get", "/usr/local/bin/apt-get"):
        assert not image_fs.file(path).exists, f"apt-get is in the final image, at {path}"
    assert not image_fs.exists("apt-get"), "apt-get is in the final image, on its PATH"
