"""What check cells call: feedback for the student, points for nbgrader, nothing on stderr."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from grader.course.notebook import Score, check, clean_up, expect, task
from grader.model.result import CheckResult, Result

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("leaves_nothing")]

NAME = "notebook-test-sleeper"


@pytest.fixture
def sleeper(host_engine: docker.DockerClient) -> Iterator[str]:
    container = host_engine.containers.run("busybox:latest", ["sleep", "300"], name=NAME, detach=True)
    yield NAME
    container.remove(force=True)


def quietly(call: object) -> tuple[Score, str]:
    """The value of `call()` and what it wrote on stderr."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        value = call()  # type: ignore[operator]
    return value, stderr.getvalue()


@pytest.mark.usefixtures("sleeper")
def test_a_task_scores_each_expectation_and_says_what_was_found(host_engine: docker.DockerClient) -> None:
    score, stderr = quietly(
        lambda: task(
            "Demo",
            expect(2, f"{NAME} runs.", lambda env: env.running(NAME)),
            expect(
                3, "A container named absent exists.", lambda env: env.container("absent"), hint="Run it."
            ),
            client=host_engine,
        )
    )
    assert (score.points, repr(score), stderr) == (2, "2", "")
    text = score._repr_markdown_()
    assert "Demo: 2/5" in text and "there is no container named absent" in text and "Run it." in text


def test_a_crashing_or_hanging_expectation_fails_its_item_only(
    host_engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grader.course.notebook.EXPECT_LIMIT_S", 0.5)

    def hang(env: object) -> None:
        while True:
            pass

    score = task(
        "Odd",
        expect(1, "crashes", lambda env: 1 / 0),
        expect(1, "hangs", hang),
        expect(1, "passes", lambda env: None),
        client=host_engine,
    )
    assert score.points == 1
    found = [item.found for item in score.result.checks]
    assert "division by zero" in found[0] and "did not finish within 0.5 s" in found[1]


def test_checking_an_exercise_live_gives_nbgrader_its_points(host_engine: docker.DockerClient) -> None:
    score, stderr = quietly(lambda: check("run-flow.commit"))
    assert score.result.max_score == 10 and score.points < 10 and stderr == ""
    assert float(repr(score)) == score.points


@pytest.fixture
def half_built_cats(host_engine: docker.DockerClient) -> Iterator[None]:
    """Network learning with catserver on it, and nothing else of cats-and-dogs."""
    network = host_engine.networks.create("learning")
    cat = host_engine.containers.run(
        "busybox:latest", ["sleep", "300"], name="catserver", network="learning", detach=True
    )
    yield
    cat.remove(force=True)
    network.remove()


@pytest.mark.usefixtures("half_built_cats")
def test_a_failed_network_check_draws_the_expected_networks_beside_the_students(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[object] = []
    monkeypatch.setattr("grader.course.notebook._show", shown.append)
    score, stderr = quietly(lambda: check("networks.cats-and-dogs"))
    assert score.points < score.result.max_score and stderr == ""
    [picture] = shown
    svg = str(picture)
    assert "Expected" in svg and "Found on your engine" in svg
    assert "dogserver" in svg and "bobcatserver" in svg and svg.count(">missing<") == 3


def test_an_unreachable_engine_draws_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("grader.course.notebook._show", shown.append)
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    assert check("networks.cats-and-dogs").result.status == "error" and shown == []


def test_a_dockerfile_exercise_needs_its_folder(tmp_path: Path) -> None:
    assert "Say which folder" in check("dockerfiles.hello").result.reason
    assert "There is no folder" in check("dockerfiles.hello", tmp_path / "absent").result.reason


def test_no_engine_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    from grader.host import engine

    def unavailable(**_: object) -> None:
        raise engine.EngineUnavailable("no engine answers at unix:///nonexistent/docker.sock")

    monkeypatch.setattr(engine, "connect", unavailable)
    score, stderr = quietly(lambda: task("Demo", expect(1, "anything", lambda env: None)))
    assert score.result.status == "error" and "no engine answers" in score.result.reason and stderr == ""


def test_clean_up_removes_exactly_what_it_names(
    host_engine: docker.DockerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = host_engine.containers.create("busybox:latest", name="notebook-test-kept")
    host_engine.containers.create("busybox:latest", name="notebook-test-gone")
    host_engine.networks.create("notebook-test-net")
    try:
        clean_up(
            containers=["notebook-test-gone", "never-made"],
            networks=["notebook-test-net"],
            client=host_engine,
        )
        assert capsys.readouterr().out.strip() == "Removed: notebook-test-gone, notebook-test-net"
        assert [
            c.name for c in host_engine.containers.list(all=True, filters={"name": "notebook-test-"})
        ] == ["notebook-test-kept"]
        clean_up(containers=["notebook-test-gone"], client=host_engine)
        assert "Nothing to remove" in capsys.readouterr().out
    finally:
        kept.remove(force=True)


NO_ENGINE = "unix:///nonexistent/docker.sock"
CELLS = {
    "a failing task": lambda: task("Absent", expect(1, "absent exists", lambda env: env.container("absent"))),
    "a failing check": lambda: check("run-flow.commit"),
    "a crashing task": lambda: task("Crash", expect(1, "crashes", lambda env: 1 / 0)),
}


@pytest.mark.parametrize("engine_reachable", [True, False], ids=["engine", "no engine"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_check_cells_write_nothing_to_stderr(
    cell: str, engine_reachable: bool, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """nbgrader gives a cell that wrote to stderr no points: not a byte, even from a subprocess."""
    if not engine_reachable:
        monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    score = CELLS[cell]()
    assert score.points < score.result.max_score or score.result.status == "error"
    assert float(repr(score)) == score.points
    assert capfd.readouterr().err == ""


def test_a_notebook_shows_a_result_as_its_feedback() -> None:
    result = Result(
        "run-flow.commit",
        "your Docker engine",
        checks=[CheckResult("image_exists", 2, passed=False, expected="An image my-image.", found="none")],
    )
    shown = Score(result)._repr_markdown_()
    assert shown.startswith("## run-flow.commit: 0/2")
    assert "Expected: An image my-image." in shown and "Found: none" in shown
