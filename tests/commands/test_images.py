"""`grader images prepare` and `grader images list`: tables, exit codes, readable errors."""

from __future__ import annotations

import pytest

from grader.commands import images
from grader.host import baseimages, engine


def unavailable(**kwargs: object) -> None:
    raise engine.EngineUnavailable("The Docker engine is not running. Start it: sudo dockerd &")


@pytest.mark.docker
def test_prepare_reports_every_image(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(images.OFFLINE_ENV, "1")
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
    assert images.prepare(names=["nope:1"]) == 1
    output = capsys.readouterr().err
    assert "No base image is called 'nope:1'" in output
    assert "Traceback" not in output


def test_prepare_without_an_engine_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "connect", unavailable)
    assert images.prepare(names=[]) == 1
    assert "sudo dockerd" in capsys.readouterr().err


def test_a_failed_build_is_a_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        done = [baseimages.Outcome("busybox:latest", "present", 0.01, "pulled")]
        raise baseimages.PrepareFailed("Could not build debian:bookworm-slim locally.", done)

    monkeypatch.setattr(engine, "connect", lambda **kwargs: object())
    monkeypatch.setattr(baseimages, "prepare", fail)
    assert images.prepare(names=[]) == 1
    output = capsys.readouterr()
    assert "Could not build debian:bookworm-slim locally." in output.err, "the error on stderr"
    assert "busybox:latest" in output.out, "what was done on stdout"


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("", False)])
def test_offline_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv(images.OFFLINE_ENV, value)
    assert images.offline() is expected


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
    assert images.show() == 1
    assert "Start it" in capsys.readouterr().err
