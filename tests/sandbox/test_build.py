"""Building in a sandbox with BuildKit (the docker CLI through the guard): a bounded, readable log, the
step that failed or was running named, clear parse errors, no network unless asked, a time limit."""

from __future__ import annotations

import concurrent.futures
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.model import failure
from grader.model.exercise import BuildSecret
from grader.sandbox.build import BuildLog, BuildResult, build
from grader.sandbox.buildx import build_in
from grader.sandbox.context import pack
from grader.sandbox.sandbox import Sandbox
from grader.text import LOG_LIMIT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CUT_MARKS = re.compile(r"^(\[\.\.\. (\d+) characters (?:of build output )?cut \.\.\.\]\n)+")
CUT_COUNT = re.compile(r"\[\.\.\. (\d+) characters")
INTERFACE = re.compile(r"^#\d+ \d+\.\d+\s+(\w+):\s+\d", re.MULTILINE)
TAG = "test-build/image:latest"


@pytest.fixture
def build_of(host_engine: docker.DockerClient, submission: Callable[..., Path]) -> Callable[..., BuildResult]:
    """Build a Dockerfile (text) with BuildKit in a sandbox of its own, holding busybox."""

    def make(
        dockerfile: str,
        *,
        network: bool = False,
        timeout_s: float = 60,
        secret: BuildSecret | None = None,
        **files: str,
    ) -> BuildResult:
        context = pack(submission(dockerfile, **files), limit_bytes=1024**2)
        with Sandbox(
            host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), submission=context.tar
        ) as sandbox:
            sandbox.load_images(["busybox:latest"])
            return build_in(
                host_engine, sandbox, tag=TAG, timeout_s=timeout_s, network=network, secret=secret
            )

    return make


@pytest.mark.usefixtures("leaves_nothing")
def test_a_build_gives_its_image_and_its_output(build_of: Callable[..., BuildResult]) -> None:
    built = build_of("FROM busybox\nRUN echo building the image\n")
    assert (built.ok, built.error, built.timed_out) == (True, "", False)
    assert built.image == TAG
    assert re.search(r"^#\d+ \d+\.\d+ building the image$", built.log, re.MULTILINE), built.log


def test_current_dockerfile_features_build(build_of: Callable[..., BuildResult]) -> None:
    dockerfile = (
        "FROM busybox\n"
        "COPY --chmod=755 run.sh /run.sh\n"
        "RUN <<EOT\necho from a heredoc\nls -l /run.sh\nEOT\n"
        "RUN --mount=type=cache,target=/cache echo kept > /cache/x && cat /cache/x\n"
    )
    built = build_of(dockerfile, **{"run.sh": "echo hi\n"})
    assert built.ok, built.error
    assert "from a heredoc" in built.log and "-rwxr-xr-x" in built.log and " kept\n" in built.log


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_while_a_fork_bomb_runs_in_a_build_the_engine_still_starts_containers(
    host_engine: docker.DockerClient, submission: Callable[..., Path]
) -> None:
    """BuildKit's steps share a pids bound (SandboxLimits.build_pids) within the one of the engine's
    containers: the bomb runs into it, and the engine keeps processes for anything else, here a
    container started mid-bomb (without it, runc cannot fork: "resource temporarily unavailable")."""
    bomb = "FROM busybox\nRUN (f(){ f|f& };f; sleep 10); echo the bomb is over\n"
    context = pack(submission(bomb), limit_bytes=1024**2)
    with Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), submission=context.tar
    ) as box:
        box.load_images(["busybox:latest"])
        assert box.client is not None
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            building = pool.submit(build_in, host_engine, box, tag=TAG, timeout_s=60, network=False)
            time.sleep(4)  # the bomb is at its bound
            other = box.client.containers.run("busybox:latest", ["true"], detach=True)
            exited = other.wait(timeout=30)
            built = building.result()
    assert exited["StatusCode"] == 0, "a container started and ran mid-bomb"
    assert built.ok, built.error
    assert "can't fork" in built.log and "the bomb is over" in built.log


def test_a_build_given_a_secret_gets_a_fresh_value_as_a_secret_and_a_build_argument(
    build_of: Callable[..., BuildResult],
) -> None:
    dockerfile = (
        "FROM busybox\nARG TOKEN\n"
        'RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok; echo; echo "arg=$TOKEN"\n'
    )
    secret = BuildSecret("tok", "TOKEN")
    first, second = build_of(dockerfile, secret=secret), build_of(dockerfile, secret=secret)
    assert first.ok and second.ok, first.error or second.error
    assert len(first.secret) >= 24 and first.secret != second.secret
    assert f" {first.secret}\n" in first.log and f" arg={first.secret}\n" in first.log, first.log


@pytest.mark.hostile
def test_a_flooding_build_keeps_a_bounded_log_with_its_end(build_of: Callable[..., BuildResult]) -> None:
    built = build_of(f"FROM busybox\nRUN yes {'flood' * 15} | head -c 3000000\n")
    assert built.ok
    marks = re.compile(CUT_MARKS.pattern, re.MULTILINE).search(built.log)
    assert marks, built.log[:200]
    kept = built.log[marks.end() :]
    assert len(kept) <= LOG_LIMIT
    assert "naming to docker.io/test-build/image:latest" in kept


def test_a_cut_log_says_how_much_was_cut() -> None:
    log = BuildLog()
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


@pytest.mark.usefixtures("leaves_nothing")
def test_a_failed_run_step_is_named_with_its_line_and_output(build_of: Callable[..., BuildResult]) -> None:
    dockerfile = "FROM busybox\nRUN echo fine\nRUN printf '\\033[31mbroken thing\\033[0m\\n'; exit 3\nCMD x\n"
    built = build_of(dockerfile)
    assert not built.ok and not built.timed_out
    assert "broken thing" in built.error and "\x1b" not in built.error
    assert "did not complete successfully: exit code: 3" in built.cause
    made = failure.of_build(built.log, built.cause, timed_out=False, timeout_s=60, dockerfile=dockerfile)
    assert made.what == "The image did not build: a command failed at step 3/3."
    assert made.step.startswith("Step 3/3 (line 3 of your Dockerfile): `RUN printf"), made.step
    assert made.output == "broken thing"
    assert "exit code 3" in made.hint and "`docker run --rm -it busybox sh`" in made.hint


@pytest.mark.usefixtures("leaves_nothing")
def test_a_step_running_at_the_time_limit_is_named(build_of: Callable[..., BuildResult]) -> None:
    dockerfile = "FROM busybox\nRUN echo start\nRUN while true; do echo tick; sleep 1; done\n"
    started = time.monotonic()
    built = build_of(dockerfile, timeout_s=8)
    assert time.monotonic() - started < 30
    assert (built.ok, built.timed_out) == (False, True)
    assert built.error == "The build did not finish within 8 s and was stopped."
    made = failure.of_build(built.log, built.cause, timed_out=True, timeout_s=8, dockerfile=dockerfile)
    assert made.what == "The build timed out after 8 s, while step 3/3 was running."
    assert made.step == "Step 3/3 (line 3 of your Dockerfile): `RUN while true; do echo tick; sleep 1; done`"
    assert made.output.endswith("tick") and "a loop that never ends" in made.hint


def test_a_dockerfile_that_does_not_parse_names_the_bad_instruction(
    build_of: Callable[..., BuildResult],
) -> None:
    dockerfile = "FROM busybox\nCOPPY a.txt /a.txt\n"
    built = build_of(dockerfile)
    assert (built.ok, built.timed_out, built.image) == (False, False, "")
    assert built.error.startswith("The image did not build.")
    assert "unknown instruction: COPPY" in built.error
    made = failure.of_build(built.log, built.cause, timed_out=False, timeout_s=60, dockerfile=dockerfile)
    assert made.what == failure.PARSE_WHAT
    assert made.hint == "line 2: `COPPY` is not an instruction; did you mean `COPY`?"


def test_a_missing_file_to_copy_is_named(build_of: Callable[..., BuildResult]) -> None:
    dockerfile = "FROM busybox\nCOPY hello.txt /hello.txt\n"
    built = build_of(dockerfile)
    made = failure.of_build(built.log, built.cause, timed_out=False, timeout_s=60, dockerfile=dockerfile)
    assert made.what == "The image did not build: a file to copy is missing at step 2/2."
    assert made.hint.startswith("`hello.txt`: the file is not in your folder")


@pytest.mark.parametrize(("network", "expected"), [(False, ["lo"]), (True, ["lo", "eth0"])])
def test_a_build_has_no_network_unless_the_exercise_asks(
    build_of: Callable[..., BuildResult], network: bool, expected: list[str]
) -> None:
    built = build_of(f"FROM busybox\nRUN echo network={network} && cat /proc/net/dev\n", network=network)
    assert built.ok, built.error
    assert INTERFACE.findall(built.log) == expected


@pytest.mark.hostile
def test_a_run_step_cannot_fetch_without_network(build_of: Callable[..., BuildResult]) -> None:
    built = build_of("FROM busybox\nRUN nc -w 3 192.0.2.1 80 </dev/null && echo REACHED\n")
    assert not built.ok and "Network is unreachable" in built.log, built.log


@pytest.fixture(scope="module")
def given(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    with Sandbox(host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id()) as sandbox:
        sandbox.load_images(["busybox:latest"])
        yield sandbox


def test_an_engine_given_up_still_builds_through_its_api(
    given: Sandbox, submission: Callable[..., Path]
) -> None:
    """A notebook's sandbox (grade_image's given engine) builds through the API, the classic builder."""
    assert given.client is not None
    context = pack(submission("FROM busybox\nRUN echo classic\n"), limit_bytes=1024**2)
    built = build(given.client, context.tar, tag=TAG, timeout_s=60, network=False, on_timeout=given.kill)
    assert built.ok and "classic" in built.log


def test_an_engine_given_up_builds_with_buildkit_from_a_context_on_stdin(
    host_engine: docker.DockerClient, submission: Callable[..., Path]
) -> None:
    """A notebook's sandbox (its folder is the kernel's): the packed context goes on the CLI's stdin,
    and the sandbox lives on after a build stopped at its time limit."""
    dockerfile = "FROM busybox\nCOPY --chmod=755 run.sh /run.sh\nRUN <<EOT\nls -l /run.sh\nEOT\n"
    context = pack(submission(dockerfile, **{"run.sh": "echo hi\n"}), limit_bytes=1024**2)
    slow = pack(submission("FROM busybox\nRUN sleep 30\n"), limit_bytes=1024**2)
    notebook = pack(submission("# a notebook's folder\n"), limit_bytes=1024**2)
    with Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), submission=notebook.tar
    ) as up:
        up.load_images(["busybox:latest"])
        built = build_in(host_engine, up, tag=TAG, timeout_s=60, network=False, context=context.tar)
        assert built.ok, built.error
        assert "-rwxr-xr-x" in built.log and "[3/3] RUN <<EOT" in built.log, built.log
        stopped = build_in(host_engine, up, tag=TAG, timeout_s=3, network=False, context=slow.tar)
        assert stopped.timed_out
        assert up.client is not None and up.client.ping()
