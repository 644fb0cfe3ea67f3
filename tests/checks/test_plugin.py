"""The pytest plugin behind grading: what a student reads when a check fails in an unplanned way."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from grader.grading.grade import grade
from grader.host import labels, leftovers
from grader.model.exercise import Exercise, load
from grader.model.result import CheckResult, Result

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("leaves_nothing")]

GOOD = 'FROM busybox\nCMD ["echo", "ok"]\n'

TOML = """\
id = "{id}"
title = "A test exercise"
topic = "tests"
kind = "image"
images = ["busybox:latest"]

[limits]
build_timeout_s = 20
run_timeout_s = 5
check_timeout_s = 5
check_limit_s = 3
memory = "64m"
pids = 32
context_bytes = 1048576
"""

ODD_CHECKS = """
from grader.rubric import check


@check(points=1, expected="It prints `nope`.")
def test_bare_assert(run):
    assert run().stdout == "nope\\n"


@check(points=1, expected="Nothing breaks.")
def test_raises(run):
    raise RuntimeError("the probe broke")


@check(points=2, expected="It prints `nope`, said nicely.")
def test_with_message(run):
    result = run()
    assert result.stdout == "nope\\n", f"it printed {result.stdout!r}"


@check(points=1, expected="It answers in time.")
def test_hangs(build):
    import time

    time.sleep(600)


@check(points=1, expected="It builds.")
def test_builds(build):
    assert build.ok
"""

SAME_NAMES_CHECKS = """
from grader.rubric import check


@check(points=5, expected="The other exercise's own words.")
def test_prints_ok(run):
    assert run().stdout == "ok\\n", "never"
"""


def _exercise(root: Path, exercise_id: str, checks: str) -> Exercise:
    folder = root / exercise_id
    folder.mkdir(parents=True)
    (folder / "exercise.toml").write_text(TOML.format(id=exercise_id))
    (folder / "checks.py").write_text(textwrap.dedent(checks))
    return load(exercise_id, root=root)


def _by_name(result: Result) -> dict[str, CheckResult]:
    assert result.status == "graded", result.reason
    return {check.name: check for check in result.checks}


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory, host_engine: docker.DockerClient) -> dict[str, CheckResult]:
    """One grading of an exercise whose checks fail in unplanned ways, shared by the tests below."""
    root = tmp_path_factory.mktemp("odd")
    exercise = _exercise(root / "exercises", "tests.odd", ODD_CHECKS)
    folder = root / "submission"
    folder.mkdir()
    (folder / "Dockerfile").write_text(GOOD)
    run_id = labels.new_run_id()
    result = grade(exercise, folder, host=host_engine, run_id=run_id)
    assert leftovers.of_run(host_engine, run_id) == []
    return _by_name(result)


def test_checks_come_back_in_the_order_of_checks_py(odd: dict[str, CheckResult]) -> None:
    assert list(odd) == ["bare_assert", "raises", "with_message", "hangs", "builds"]
    assert [check.passed for check in odd.values()] == [False, False, False, False, True]


def test_an_assertion_without_a_message_gives_a_generic_found_not_python(
    odd: dict[str, CheckResult],
) -> None:
    check = odd["bare_assert"]
    assert "assert" not in check.found
    assert "==" not in check.found and "stdout" not in check.found
    assert check.message == "Expected: It prints `nope`. Found: something else."


def test_an_assertion_message_is_what_was_found(odd: dict[str, CheckResult]) -> None:
    assert odd["with_message"].found == "it printed 'ok\\n'"


def test_an_unexpected_exception_says_the_check_could_not_finish(odd: dict[str, CheckResult]) -> None:
    found = odd["raises"].found
    assert found == "The check could not finish: the probe broke"
    assert "Traceback" not in found and "RuntimeError" not in found


def test_a_check_that_hangs_is_stopped_at_its_limit_and_the_next_one_runs(
    odd: dict[str, CheckResult],
) -> None:
    assert odd["hangs"].found == "The check did not finish within 3 s and was stopped."
    assert odd["builds"].passed


def test_each_check_records_how_long_it_took(odd: dict[str, CheckResult]) -> None:
    """Its setup and call, as JUnit's per-check time reports: the one stopped at 3 s took about 3 s."""
    assert 2.5 <= odd["hangs"].duration_s < 10
    assert all(0 <= check.duration_s < 10 for check in odd.values())


def test_each_exercise_graded_in_one_process_gets_its_own_checks(
    tiny: Exercise, tmp_path: Path, submission: Callable[..., Path]
) -> None:
    other = _exercise(tmp_path / "exercises", "tests.same-names", SAME_NAMES_CHECKS)
    folder = submission(GOOD)

    first = _by_name(grade(tiny, folder))
    second = _by_name(grade(other, folder))
    third = _by_name(grade(tiny, folder))

    assert set(first) == {"prints_ok", "small"}
    assert first["prints_ok"].max_points == 3
    assert set(second) == {"prints_ok"}
    assert (second["prints_ok"].max_points, second["prints_ok"].expected) == (
        5,
        "The other exercise's own words.",
    )
    assert third == first
