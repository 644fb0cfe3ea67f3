"""Grading a setup.sh end to end: the script's failures, hangs and refusals still get a graded result."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.grading import grade_setup
from grader.grading.grade import grade
from grader.model.exercise import Exercise, load
from grader.model.result import Result

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("leaves_nothing")]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exercises"
Script = Callable[..., Path]


def _failed(result: Result) -> dict[str, str]:
    return {check.name: check.found for check in result.checks if not check.passed}


def test_a_right_script_scores_full_marks_and_its_output_is_kept(
    catserver: Exercise, script: Script, catserver_script: Callable[[str], str]
) -> None:
    result = grade(catserver, script(catserver_script("meow")))
    assert (result.status, result.score, result.max_score) == ("graded", 4, 4), _failed(result)
    assert "served meow" in result.log
    assert result.reason == ""


def test_a_folder_without_setup_sh_is_graded_zero_and_says_why(catserver: Exercise, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    result = grade(catserver, tmp_path)
    assert (result.status, result.score) == ("graded", 0)
    assert result.reason == "There is no setup.sh in the submission's top folder."
    assert result.failure is not None and result.reason in result.failure.what
    assert all(check.not_run for check in result.checks if not check.passed)


def test_a_failing_script_is_graded_on_what_it_built(catserver: Exercise, script: Script) -> None:
    result = grade(
        catserver,
        script(
            "docker network create learning\n"
            "docker run -d --name catserver --network learning busybox sleep 600\n"
            "exit 3\n"
        ),
    )
    assert (result.status, result.score) == ("graded", 2)
    assert result.reason == "setup.sh ended with exit code 3: a command in it failed (see its output)."
    assert result.failure is not None
    assert result.failure.what == "setup.sh failed: it ended with exit code 3."
    assert _failed(result) == {"serves_its_page": grade_setup.NOT_RUN}  # what it built kept its points
    assert all(check.not_run for check in result.checks if not check.passed)


def test_a_script_that_hangs_is_stopped_and_graded_on_what_it_built(
    catserver: Exercise, script: Script, catserver_script: Callable[[str], str]
) -> None:
    started = time.monotonic()
    result = grade(catserver, script(catserver_script("purr") + "while true; do sleep 1; done\n"))
    assert time.monotonic() - started < 40
    assert (result.status, result.score) == ("timeout", 4)
    assert result.reason == "setup.sh did not finish within 15 s and was stopped."
    assert "served purr" in result.log
    assert result.failure is not None and result.failure.what.startswith("setup.sh timed out after 15 s")


def test_a_refused_command_is_reported_and_the_rest_of_the_script_counts(
    catserver: Exercise, script: Script, catserver_script: Callable[[str], str]
) -> None:
    result = grade(
        catserver, script("docker run --rm --privileged busybox true\n" + catserver_script("hiss"))
    )
    assert (result.status, result.score) == ("graded", 4)
    assert any("--privileged" in advice and advice.startswith("Refused") for advice in result.advice)
    assert "--privileged" in result.log  # the docker CLI printed the refusal in the script's output


@pytest.mark.hostile
def test_a_script_flooding_its_output_keeps_a_bounded_end(catserver: Exercise, script: Script) -> None:
    result = grade(catserver, script("yes flood | head -n 1000000\necho the end\n"))
    assert result.status == "graded"
    assert len(result.log) <= 70_000
    assert result.log.endswith("flood\nthe end\n")


@pytest.mark.hostile
def test_a_fork_bomb_in_the_script_is_contained(catserver: Exercise, script: Script) -> None:
    result = grade(catserver, script("bomb() { bomb | bomb & }; bomb\nsleep 30\n"))
    assert (result.status, result.score) == ("timeout", 0)


def _grade_fixture(folder: Path) -> tuple[float, float, Result]:
    """Grade tiny.catserver in a worker process; when it started and ended, and the result."""
    started = time.monotonic()
    result = grade(load("tiny.catserver", FIXTURES), folder)
    return started, time.monotonic(), result


def test_two_scripts_with_the_same_names_and_port_grade_at_once_apart(
    tmp_path: Path, catserver_script: Callable[[str], str]
) -> None:
    folders = []
    for token in ("alice-token", "bob-token"):
        folder = tmp_path / token
        folder.mkdir()
        (folder / "setup.sh").write_text(catserver_script(token))
        folders.append(folder)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        (a_start, a_end, alice), (b_start, b_end, bob) = pool.map(_grade_fixture, folders)
    assert a_start < b_end and b_start < a_end, "the two gradings did not overlap"
    for result, token in ((alice, "alice-token"), (bob, "bob-token")):
        assert (result.status, result.score) == ("graded", 4), _failed(result)
        assert f"served {token}" in result.log


@pytest.mark.hostile
@pytest.mark.parametrize(
    "hog",
    [
        pytest.param("head -c 2000m /dev/zero | tail > /dev/null", id="memory"),
        pytest.param("cat /dev/zero > filler", id="disk"),
    ],
)
def test_a_command_eating_memory_or_disk_is_stopped_and_the_rest_counts(
    catserver: Exercise, script: Script, catserver_script: Callable[[str], str], hog: str
) -> None:
    result = grade(catserver, script(f"{hog}\necho hog ended $?\n" + catserver_script("growl")))
    assert (result.status, result.score) == ("graded", 4), _failed(result)
    assert "hog ended 0" not in result.log
    assert "served growl" in result.log


def test_a_large_submission_is_refused_before_anything_runs(catserver: Exercise, script: Script) -> None:
    folder = script("echo hello\n")
    with (folder / "big.bin").open("wb") as big:
        big.truncate(40 * 1024 * 1024)
    result = grade(catserver, folder)
    assert (result.status, result.score) == ("graded", 0)
    assert result.reason.startswith("Your folder holds at least 40 MB of files, over the limit of 32 MB")
    assert "`big.bin`" in result.reason
    assert result.log == ""


@pytest.mark.parametrize("step", ["run_script", "run_checks"])
def test_an_interrupt_mid_grading_leaves_nothing(
    catserver: Exercise,
    script: Script,
    catserver_script: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(grade_setup, step, interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade(catserver, script(catserver_script("shh")))
