"""`grader images prepare` and `grader images list`: tables, exit codes, readable errors."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.commands import images
from grader.host import baseimages, engine, machine


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    """`grader` turns SIGTERM into Ctrl-C for its own process; give the test process its handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def grader(*args: str) -> Result:
    """`grader ARGS` through the real command group: its messages and exit codes."""
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def unavailable(**kwargs: object) -> None:
    raise engine.EngineUnavailable("The Docker engine is not running. Start it: sudo dockerd &")


@pytest.mark.docker
def test_prepare_reports_every_image(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(machine.OFFLINE_ENV, "1")
    monkeypatch.setenv("COLUMNS", "200")
    assert images.prepare(names=[]) == 0
    output = capsys.readouterr().out
    for recipe in baseimages.recipes():
        assert recipe.name in output
    assert "present" in output


@pytest.mark.docker
def test_an_unknown_image_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = grader("images", "prepare", "nope:1")
    assert done.exit_code == 2, "an unknown image is bad input"
    assert "No base image is called 'nope:1'" in done.stderr
    assert "Traceback" not in done.output


def test_prepare_without_an_engine_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "connect", unavailable)
    done = grader("images", "prepare")
    assert done.exit_code == 1
    assert "sudo dockerd" in done.stderr


def test_a_failed_build_is_a_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        done = [baseimages.Outcome("busybox:latest", "present", 0.01, "pulled")]
        raise baseimages.PrepareFailed("Could not build debian:bookworm-slim locally.", done)

    monkeypatch.setattr(engine, "connect", lambda **kwargs: object())
    monkeypatch.setattr(baseimages, "prepare", fail)
    done = grader("images", "prepare")
    assert done.exit_code == 1
    assert "Could not build debian:bookworm-slim locally." in done.stderr, "the error on stderr"
    assert "busybox:latest" in done.stdout, "what was done on stdout"


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("", False)])
def test_offline_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv(machine.OFFLINE_ENV, value)
    assert machine.offline() is expected


@pytest.mark.docker
def test_show_lists_the_base_images(capsys: pytest.CaptureFixture[str]) -> None:
    assert images.show() == 0
    output = capsys.readouterr().out
    assert "debian:bookworm-slim" in output
    assert "built locally" in output


def test_show_without_an_engine_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "connect", unavailable)
    done = grader("images", "list")
    assert done.exit_code == 1
    assert "Start it" in done.stderr
