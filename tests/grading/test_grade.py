"""Grading one submission end to end, on every path, leaving nothing behind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.grading import grade_image as grading
from grader.grading.grade import grade
from grader.model import failure
from grader.model.exercise import Exercise
from grader.outputs.feedback import exercise_markdown
from grader.sandbox import buildx

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("leaves_nothing")]

GOOD = 'FROM busybox\nCMD ["echo", "ok"]\n'


def _failed(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {check.name: check.found for check in result.checks if not check.passed}


def test_a_right_submission_scores_full_marks(tiny: Exercise, submission: Callable[..., Path]) -> None:
    result = grade(tiny, submission(GOOD))
    assert (result.status, result.score, result.max_score) == ("graded", 4, 4)


def test_a_wrong_output_loses_that_check_and_says_what_was_printed(
    tiny: Exercise, submission: Callable[..., Path]
) -> None:
    result = grade(tiny, submission('FROM busybox\nCMD ["echo", "okay"]\n'))
    assert result.score == 1
    assert _failed(result) == {"prints_ok": "it printed 'okay\\n'"}


def test_a_build_error_is_graded_zero_with_the_error_lines(
    tiny: Exercise, submission: Callable[..., Path]
) -> None:
    result = grade(tiny, submission("FROM busybox\nRUN no-such-command\n"))
    assert (result.status, result.score) == ("graded", 0)
    assert set(_failed(result).values()) == {failure.NOT_RUN_BUILD}
    assert all(check.not_run for check in result.checks)
    assert result.failure is not None and "no-such-command" in result.failure.step
    assert result.failure.what == "The image did not build: a command failed at step 2/2."
    assert result.reason.startswith("The image did not build.") and "no-such-command" in result.reason


def test_an_endless_build_times_out_and_is_graded(tiny: Exercise, submission: Callable[..., Path]) -> None:
    # The loop takes a core while it runs: 8 s show the time limit as well as 20 would.
    soon = dataclasses.replace(tiny, limits=dataclasses.replace(tiny.limits, build_timeout_s=8))
    result = grade(soon, submission("FROM busybox\nRUN while true; do echo tick; done\n"))
    assert (result.status, result.score) == ("timeout", 0)
    assert "did not finish within 8 s" in result.reason
    assert result.failure is not None and "RUN while true" in result.failure.step
    assert "a loop that never ends" in result.failure.hint
    assert len(result.log) < 40_000


@pytest.mark.hostile
def test_a_fork_bomb_in_run_is_bounded_and_the_build_goes_on(
    tiny: Exercise, submission: Callable[..., Path]
) -> None:
    """The RUN steps' own pids bound leaves the sandbox's engine processes enough to finish the build.
    (The bomb runs in a subshell: its `sleep` may find no process left, the step's echo needs none.)"""
    bomb = "RUN (f(){ f|f& };f; sleep 5); echo the bomb is over\n"
    result = grade(tiny, submission("FROM busybox\n" + bomb + GOOD[13:]))
    assert (result.status, result.score, result.max_score) == ("graded", 4, 4), result.reason
    assert "can't fork" in result.log, "the bomb ran into its bound"


@pytest.mark.hostile
def test_a_disk_filler_in_run_stops_at_the_bound(tiny: Exercise, submission: Callable[..., Path]) -> None:
    result = grade(tiny, submission("FROM busybox\nRUN dd if=/dev/zero of=/big bs=1M count=40000\n"))
    assert (result.status, result.score) == ("graded", 0)
    assert "No space left on device" in result.log


def test_a_context_over_the_bound_is_refused_before_any_sandbox(
    tiny: Exercise, submission: Callable[..., Path]
) -> None:
    folder = submission(GOOD)
    with (folder / "big.bin").open("wb") as handle:
        handle.truncate(2 * 1024**3)
    result = grade(tiny, folder)
    assert (result.status, result.score) == ("graded", 0)
    assert "over the limit" in result.reason
    assert all(check.not_run for check in result.checks), "nothing was built, so no check ran"


def test_a_symlink_cannot_read_host_files(
    tiny: Exercise, submission: Callable[..., Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's answers")
    folder = submission('FROM busybox\nCOPY leak /leak\nCMD ["cat", "/leak"]\n')
    (folder / "leak").symlink_to(secret)
    result = grade(tiny, folder)
    assert "the instructor's answers" not in result.log + str(result.to_dict())
    assert any(advice.startswith("Left out of grading") and "`leak`" in advice for advice in result.advice)


def test_an_interrupt_mid_build_leaves_nothing(
    tiny: Exercise, submission: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(buildx, "build_in", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade(tiny, submission(GOOD))


def test_a_failure_of_the_grader_itself_is_an_error_with_a_reason(
    tiny: Exercise, submission: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the checks could not be loaded")

    monkeypatch.setattr(grading, "run_checks", broken)
    result = grade(tiny, submission(GOOD))
    assert (result.status, result.reason) == ("error", "the checks could not be loaded")


@pytest.mark.parametrize(
    ("dockerfile", "said"),
    [
        (
            'FROM alpine\nCMD ["echo", "ok"]\n',
            "line 1: `FROM alpine` needs an image the exercise does not provide; use one of: busybox:latest.",
        ),
        (
            'FROM busybox\nADD https://example.invalid/x /x\nCMD ["echo", "ok"]\n',
            "line 2: `ADD https://example.invalid/x` fetches from the network, which builds here do not "
            "have: download the file into your folder and `COPY` it.",
        ),
    ],
)
def test_a_dockerfile_that_fetches_is_refused_before_any_sandbox(
    tiny: Exercise,
    submission: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    dockerfile: str,
    said: str,
) -> None:
    def no_sandbox(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sandbox was started for a refused Dockerfile")

    monkeypatch.setattr(grading, "build", no_sandbox)
    monkeypatch.setattr(grading, "Sandbox", no_sandbox)
    result = grade(tiny, submission(dockerfile))
    assert (result.status, result.score, result.max_score) == ("graded", 0, 4)
    assert all(check.not_run and check.found == failure.NOT_RUN_BUILD for check in result.checks)
    assert result.failure is not None and result.failure.what == failure.REFUSED_WHAT
    assert (result.failure.step, result.reason) == (said, said)
    assert f"{said.split('`')[0]}`{said.split('`')[1]}`" in exercise_markdown(result)
