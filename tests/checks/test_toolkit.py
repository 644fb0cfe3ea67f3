"""The check authors' toolkit: messages a student can read, problems collected, a registry asked."""

from __future__ import annotations

import ast
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.checks.images_info import ImageInfo
from grader.checks.toolkit import (
    NoAnswer,
    Problems,
    Reply,
    http_get,
    http_url,
    layers_start_with,
    run,
    runs_image,
    said,
    succeeded,
)
from grader.sandbox.containers import RunResult

ROOT = Path(__file__).resolve().parents[2]
CHECKS = sorted((ROOT / "exercises").glob("*/checks.py"))


class Done:
    """A testinfra-like command result: rc, stdout, stderr and the command as bytes."""

    def __init__(self, rc: int, stdout: str = "", stderr: str = "", command: bytes = b"cat /x") -> None:
        self.rc, self.stdout, self.stderr, self.command = rc, stdout, stderr, command


class FakeHost:
    def __init__(self, result: Done) -> None:
        self.result = result
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def run(self, command: str, *args: str, **kwargs: Any) -> Done:
        self.asked.append((command, args))
        return self.result


# -- said, succeeded, run -----------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (RunResult("docker run x", 0, "hello\n", "noise"), "it printed 'hello'"),
        (
            RunResult("docker run x", 1, "", "sh: oops\n"),
            "it printed nothing on its output; its error output was 'sh: oops'",
        ),
        (RunResult("docker run x", 3, "", ""), "it printed nothing and exited with code 3"),
        (
            RunResult("docker run x", None, "partial", "", timed_out=True),
            "it was still running when its time was up",
        ),
        (Done(2, "", "  \n"), "it printed nothing and exited with code 2"),
        (RunResult("docker run x", 0, "\n", ""), "it printed an empty line"),
    ],
)
def test_said_puts_what_a_command_said_in_a_few_words(result: Any, words: str) -> None:
    assert said(result).startswith(words)


def test_said_bounds_a_flood() -> None:
    words = said(RunResult("docker run x", 0, "y\n" * 100_000, ""))
    assert len(words) < 500 and words.endswith("...'")


def test_succeeded_returns_a_success_and_names_the_command_of_a_failure() -> None:
    ok = RunResult("docker run --rm hello", 0, "hi\n", "")
    assert succeeded(ok) is ok
    with pytest.raises(
        AssertionError, match=r"^`docker run --rm hello` exited with code 3 and printed 'bye'$"
    ):
        succeeded(RunResult("docker run --rm hello", 3, "bye\n", ""))
    with pytest.raises(
        AssertionError, match=r"^`cat /x` exited with code 1; its error output was \"cat: can't"
    ):
        succeeded(Done(1, "out", "cat: can't open '/x'"))
    with pytest.raises(AssertionError, match="was still running when its time was up"):
        succeeded(RunResult("docker run x", None, "", "", timed_out=True))
    assert succeeded(Done(1), codes=(0, 1)).rc == 1


def test_run_asks_the_host_and_fails_readably() -> None:
    host = FakeHost(Done(0, "ok"))
    assert run(host, "cat %s", "/etc/hostname").stdout == "ok"
    assert host.asked == [("cat %s", ("/etc/hostname",))]
    with pytest.raises(AssertionError, match=r"^`cat /x` exited with code 1 and printed nothing$"):
        run(FakeHost(Done(1)), "cat /x")


# -- Problems -----------------------------------------------------------------------


def test_problems_checks_everything_then_fails_once_listing_each() -> None:
    seen = []
    with pytest.raises(AssertionError) as failed, Problems() as problems:
        for name in ("a", "b", "c"):
            with problems.collect():
                seen.append(name)
                assert name == "b", f"{name} is wrong"
        problems.add(None)
        problems.add("")
        problems.add("and one more")
    assert seen == ["a", "b", "c"]
    assert str(failed.value) == "a is wrong; c is wrong; and one more"


def test_no_problem_passes_and_other_errors_are_not_swallowed() -> None:
    with Problems() as problems, problems.collect():
        pass
    assert not problems
    with pytest.raises(KeyError), Problems() as problems:
        problems.add("noted")
        raise KeyError("a bug in the check")


# -- images and layers --------------------------------------------------------------


def _info(tag: str, layers: list[str]) -> ImageInfo:
    return ImageInfo("sha256:" + "0" * 64, tag, None, None, set(), "", "", {}, {}, 0, layers)


def test_layers_start_with_the_base_and_own_ones_on_top() -> None:
    base = _info("busybox:latest", ["a"])
    layers_start_with(_info("mine", ["a", "b"]), base, own=True)
    layers_start_with(_info("mine", ["a"]), base)
    with pytest.raises(
        AssertionError, match=r"^its 2 layer\(s\) do not start with busybox's 1 layer\(s\): FROM x$"
    ):
        layers_start_with(_info("mine", ["z", "a"]), base, name="busybox", meaning="FROM x")
    with pytest.raises(AssertionError, match=r"it has busybox:latest's 1 layer\(s\) and none of its own"):
        layers_start_with(_info("mine", ["a"]), base, own=True)


@pytest.mark.docker
def test_layers_of_real_images_are_read_from_the_engine(host_engine: docker.DockerClient) -> None:
    busybox, debian = host_engine.images.get("busybox:latest"), host_engine.images.get("debian:bookworm-slim")
    layers_start_with(busybox, busybox)
    with pytest.raises(AssertionError, match=r"do not start with busybox's"):
        layers_start_with(debian, busybox, name="busybox")


@pytest.fixture
def moved_tag(host_engine: docker.DockerClient) -> Iterator[str]:
    """A tag of the test's own on debian:bookworm-slim, removed afterwards."""
    name = f"grader-test-toolkit-{uuid.uuid4().hex[:8]}:1"
    host_engine.images.get("debian:bookworm-slim").tag(name)
    yield name
    host_engine.images.remove(name)


@pytest.mark.docker
def test_runs_image_goes_by_id_not_by_the_name_it_was_started_with(
    host_engine: docker.DockerClient, moved_tag: str
) -> None:
    busybox = host_engine.images.get("busybox:latest")
    mine = host_engine.containers.create("busybox:latest", ["true"])
    other = host_engine.containers.create(moved_tag, ["true"])
    try:
        runs_image(mine, busybox)
        with pytest.raises(AssertionError, match=rf"runs the image {moved_tag}, not busybox:latest$"):
            runs_image(other, busybox, name="busybox:latest")
        with pytest.raises(
            AssertionError, match=rf"not the {moved_tag} the course uses .*another image was tagged"
        ):
            runs_image(other, busybox, name=moved_tag)
    finally:
        mine.remove(force=True)
        other.remove(force=True)


# -- a registry's HTTP API ----------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        answers = {"/v2/x/tags/list": (200, json.dumps({"tags": ["1"]}).encode()), "/v2/odd": (200, b"[1]")}
        status, body = answers.get(self.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", self.headers.get("Accept", ""))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_http_get_returns_any_answer_with_its_status(server: str) -> None:
    reply = http_get(f"{server}/v2/x/tags/list", "application/vnd.oci.image.manifest.v1+json")
    assert reply.status == 200 and reply.json("GET tags") == {"tags": ["1"]}
    missing = http_get(f"{server}/v2/nothing")
    assert (missing.status, missing.reason) == (404, "Not Found")


def test_a_body_that_is_no_json_object_is_named() -> None:
    for body in (b"[1]", b"<html>", b""):
        with pytest.raises(AssertionError, match="the registry's answer to GET /v2/odd is not the JSON"):
            Reply(200, "OK", body).json("GET /v2/odd")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v2/", "http://127.0.0.1:port/v2/"])
def test_no_answer_says_why(url: str) -> None:
    with pytest.raises(NoAnswer):
        http_get(url, timeout_s=2)


def test_http_url_brackets_an_ipv6_address() -> None:
    assert http_url("::1", 5000, "/v2/") == "http://[::1]:5000/v2/"
    assert http_url("10.0.0.2", 5000, "/v2/") == "http://10.0.0.2:5000/v2/"


# -- the exercises' checks, typed on the toolkit ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("checks", CHECKS, ids=[path.parent.name for path in CHECKS])
def test_each_exercise_checks_type_checks(checks: Path) -> None:
    """mypy (pyproject's settings) on each checks.py alone: they are all modules named `checks`,
    which one mypy run cannot hold together."""
    from mypy import api

    out, err, code = api.run([str(checks.relative_to(ROOT)), "--no-incremental"])
    assert code == 0, out + err


@pytest.mark.parametrize("checks", CHECKS, ids=[path.parent.name for path in CHECKS])
def test_only_tests_are_rubric_items(checks: Path) -> None:
    """A helper put between a @check and its test would take the item (and pytest never runs it)."""
    tree = ast.parse(checks.read_text())
    decorated = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(getattr(getattr(d, "func", None), "id", "") == "check" for d in node.decorator_list)
    ]
    assert decorated and all(name.startswith("test_") for name in decorated), decorated
