"""Building in a sandbox: a bounded, readable log, clear parse errors, no network unless asked."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.build import BuildResult, _Log, build
from grader.sandbox.context import pack
from grader.sandbox.sandbox import Sandbox
from grader.text import LOG_LIMIT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CUT_MARKS = re.compile(r"^(\[\.\.\. (\d+) characters (?:of build output )?cut \.\.\.\]\n)+")
CUT_COUNT = re.compile(r"\[\.\.\. (\d+) characters")
INTERFACE = re.compile(r"^\s*(\w+):\s+\d", re.MULTILINE)


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    """One sandbox shared by this module's builds, with busybox loaded."""
    with Sandbox(host_engine, sandbox_engine.TAG, run_id=labels.new_run_id()) as shared:
        shared.load_images(["busybox:latest"])
        yield shared


@pytest.fixture
def build_of(sandbox: Sandbox, submission: Callable[..., Path]) -> Callable[..., BuildResult]:
    """Build a Dockerfile (text) in the shared sandbox."""

    def make(dockerfile: str, *, network: bool = False) -> BuildResult:
        assert sandbox.client is not None
        context = pack(submission(dockerfile), limit_bytes=1024**2)
        return build(
            sandbox.client,
            context.tar,
            tag=f"test-build/{labels.new_run_id()}:latest",
            timeout_s=60,
            network=network,
            on_timeout=sandbox.kill,
        )

    return make


def test_a_build_gives_its_image_and_its_output(build_of: Callable[..., BuildResult]) -> None:
    built = build_of("FROM busybox\nRUN echo building the image\n")
    assert (built.ok, built.error, built.timed_out) == (True, "", False)
    assert built.image.startswith("test-build/")
    assert "building the image" in built.log


@pytest.mark.hostile
def test_a_flooding_build_keeps_a_bounded_log_with_its_end(build_of: Callable[..., BuildResult]) -> None:
    built = build_of(f"FROM busybox\nRUN yes {'flood' * 15} | head -c 3000000\n")
    assert built.ok
    marks = re.compile(CUT_MARKS.pattern, re.MULTILINE).search(built.log)
    assert marks, built.log[:200]
    assert built.log[: marks.start()].splitlines() == [  # the step lines cut, kept before the mark
        "Step 1/2 : FROM busybox",
        f"Step 2/2 : RUN yes {'flood' * 15} | head -c 3000000",
    ]
    kept = built.log[marks.end() :]
    assert len(kept) <= LOG_LIMIT
    assert kept.rstrip().splitlines()[-1].startswith("Successfully tagged test-build/")


def test_a_cut_log_says_how_much_was_cut() -> None:
    log = _Log()
    for index in range(1000):
        log.add(f"{index:04} " + "x" * 995)
    kept = log.text()
    marks = CUT_MARKS.match(kept)
    assert marks and len(kept) - marks.end() <= LOG_LIMIT
    cut = sum(int(count) for count in CUT_COUNT.findall(marks.group(0)))
    assert cut + len(kept) - marks.end() == 1000 * 1000


def test_colour_codes_are_stripped_from_the_log(build_of: Callable[..., BuildResult]) -> None:
    built = build_of("FROM busybox\nRUN printf '\\033[1;31mred alert\\033[0m and \\033[32mgreen\\033[m\\n'\n")
    assert built.ok
    assert "red alert and green\n" in built.log
    assert "\x1b" not in built.log


def test_colour_codes_are_stripped_from_a_failed_build_error(build_of: Callable[..., BuildResult]) -> None:
    built = build_of("FROM busybox\nRUN printf '\\033[31mbroken thing\\033[0m\\n'; exit 3\n")
    assert not built.ok
    assert "broken thing" in built.error and "\x1b" not in built.error
    assert "returned a non-zero code: 3" in built.error


def test_a_dockerfile_that_does_not_parse_names_the_bad_instruction(
    build_of: Callable[..., BuildResult],
) -> None:
    built = build_of("FROM busybox\nCOPPY a.txt /a.txt\n")
    assert (built.ok, built.timed_out, built.image) == (False, False, "")
    assert built.error.startswith("The image did not build.")
    assert "unknown instruction: COPPY" in built.error
    assert "http" not in built.error and "Client Error" not in built.error


@pytest.mark.parametrize(("network", "expected"), [(False, ["lo"]), (True, ["lo", "eth0"])])
def test_a_build_has_no_network_unless_the_exercise_asks(
    build_of: Callable[..., BuildResult], network: bool, expected: list[str]
) -> None:
    built = build_of(f"FROM busybox\nRUN echo network={network} && cat /proc/net/dev\n", network=network)
    assert built.ok, built.error
    assert INTERFACE.findall(built.log) == expected
