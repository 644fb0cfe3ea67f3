"""Live checks: the same checks against the student's own engine, which they leave as they found it."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import docker.errors
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading import live
from grader.model.exercise import load
from tests.conftest import ours

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]

IMAGE = "my-image:latest"


def _state(client: docker.DockerClient) -> tuple[set[str], set[str]]:
    images = {tag for image in client.images.list(all=True) for tag in image.tags} | {
        image.id for image in client.images.list(all=True)
    }
    containers = {
        container.id
        for container in client.containers.list(all=True, ignore_removed=True)
        if ours(container.labels)
    }
    return images, containers


@pytest.fixture
def committed(host_engine: docker.DockerClient) -> Iterator[None]:
    """run-flow.commit done by hand on the host engine, as a student would; undone afterwards."""
    with pytest.raises(docker.errors.ImageNotFound):
        host_engine.images.get(IMAGE)  # never overwrite an image the machine already had
    container = host_engine.containers.run("busybox:latest", ["touch", "/importantfile.txt"], detach=True)
    try:
        container.wait(timeout=30)
        container.commit("my-image", "latest")
    finally:
        container.remove(force=True)
    yield
    host_engine.images.remove(IMAGE)


@pytest.mark.usefixtures("committed")
def test_live_checks_find_what_the_student_built_and_change_nothing(host_engine: docker.DockerClient) -> None:
    before = _state(host_engine)
    result = live.check("run-flow.commit", client=host_engine)
    assert (result.status, result.score, result.max_score) == ("graded", 10, 10), result.checks
    assert result.submission == "your Docker engine"
    assert _state(host_engine) == before


def test_live_checks_of_nothing_built_fail_with_the_missing_names(host_engine: docker.DockerClient) -> None:
    result = live.check(load("run-flow.commit"), client=host_engine)
    assert (result.status, result.score) == ("graded", 0)
    assert {check.found for check in result.checks} == {f"there is no image named {IMAGE}"}


def test_an_image_exercise_is_not_checked_live() -> None:
    with pytest.raises(live.NotLive, match=r"grader check dockerfiles\.hello PATH/TO/YOUR/FOLDER"):
        live.check("dockerfiles.hello")


@pytest.mark.usefixtures("committed")
def test_grader_check_live_prints_the_table() -> None:
    done = CliRunner().invoke(main, ["check", "run-flow.commit", "--live"], terminal_width=120)
    assert done.exit_code == 0, done.output
    assert "run-flow.commit" in done.output and "10/10 points" in done.output


@pytest.mark.parametrize("args", [["check", "run-flow.commit"], ["check", "run-flow.commit", ".", "--live"]])
def test_grader_check_needs_a_folder_or_live_but_not_both(args: list[str]) -> None:
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert "Give either a SUBMISSION folder or --live." in done.output


def test_grader_check_live_of_an_image_exercise_says_how_to_check_it() -> None:
    done = CliRunner().invoke(main, ["check", "dockerfiles.hello", "--live"])
    assert done.exit_code == 2
    assert "grader check dockerfiles.hello PATH/TO/YOUR/FOLDER" in " ".join(done.output.split())
