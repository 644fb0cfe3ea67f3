"""The one result shape: scores, the student's one-line message, and JSON that round-trips."""

from __future__ import annotations

import json

from grader.model.result import CheckResult, Result


def _result() -> Result:
    return Result(
        exercise="dockerfiles.hello",
        submission="class/ana/dockerfiles.hello",
        checks=[
            CheckResult(
                "prints_hello",
                3,
                passed=False,
                expected="It prints `Hello container`.",
                found="it printed 'Hello Container\\n'",
                hint="Mind the small c.",
                reproduce="docker run --rm hello",
            ),
            CheckResult("small_image", 2, passed=True, expected="The image is smaller than 10 MB."),
            CheckResult("exits_zero", 1.5, passed=True, expected="It exits with code 0."),
        ],
        log="Step 1/2 : FROM busybox\n",
        reason="",
        advice=["Line 2: use COPY (DL3020)"],
        duration_s=1.23456,
    )


def test_score_counts_only_passed_checks_and_max_score_counts_all() -> None:
    result = _result()
    assert result.score == 3.5
    assert result.max_score == 6.5


def test_a_result_without_checks_scores_zero_of_zero() -> None:
    result = Result("x.y", "folder", status="error", reason="no engine")
    assert (result.score, result.max_score) == (0, 0)


def test_a_passed_check_says_what_it_checked() -> None:
    check = CheckResult("small", 2, passed=True, expected="The image is small.", found="ignored")
    assert check.points == 2
    assert check.message == "The image is small."


def test_a_failed_check_says_what_was_expected_and_what_was_found() -> None:
    check = CheckResult("hello", 3, passed=False, expected="It prints hello.", found="it printed 'bye'")
    assert check.points == 0
    assert check.message == "Expected: It prints hello. Found: it printed 'bye'"


def test_a_failed_check_with_nothing_found_still_reads_as_a_sentence() -> None:
    check = CheckResult("hello", 3, passed=False, expected="It prints hello.")
    assert check.message == "Expected: It prints hello. Found: something else."


def test_json_has_the_documented_fields() -> None:
    data = json.loads(_result().to_json())
    for field in ("exercise", "submission", "score", "max_score", "status", "checks", "log", "duration_s"):
        assert field in data, field
    assert (data["exercise"], data["status"], data["score"], data["max_score"]) == (
        "dockerfiles.hello",
        "graded",
        3.5,
        6.5,
    )
    assert data["duration_s"] == 1.235
    first = data["checks"][0]
    for field in ("name", "points", "max_points", "passed", "message", "hint"):
        assert field in first, field
    assert (first["name"], first["points"], first["max_points"], first["passed"]) == (
        "prints_hello",
        0,
        3,
        False,
    )
    assert first["message"].startswith("Expected: It prints `Hello container`. Found: it printed")
    assert first["hint"] == "Mind the small c."


def test_to_dict_and_from_dict_round_trip_through_json() -> None:
    original = _result()
    again = Result.from_dict(json.loads(original.to_json()))
    assert again.to_dict() == original.to_dict()
    assert again.checks == original.checks
    assert (again.score, again.max_score) == (original.score, original.max_score)


def test_from_dict_accepts_a_minimal_result() -> None:
    data = {
        "exercise": "a.b",
        "submission": "s",
        "status": "timeout",
        "checks": [{"name": "n", "max_points": 1, "passed": False, "expected": "e"}],
    }
    result = Result.from_dict(data)
    assert (result.status, result.log, result.advice, result.max_score) == ("timeout", "", [], 1)
    assert result.checks[0].found == ""


def _hidden(passed: bool = False) -> CheckResult:
    return CheckResult(
        "secret",
        2,
        passed=passed,
        expected="It does it.",
        found="it printed 42",
        hint="h",
        reproduce="r",
        hidden=True,
    )


def test_a_hidden_check_shows_students_only_what_it_expects() -> None:
    seen = _hidden().for_student()
    assert (seen.found, seen.hint, seen.reproduce) == ("", "", "")
    assert (seen.expected, seen.passed, seen.points, seen.max_points) == ("It does it.", False, 0, 2)
    assert _hidden().message == "Expected: It does it."
    assert "42" not in _hidden().message


def test_for_student_keeps_the_score_and_other_checks_whole() -> None:
    result = _result()
    result.checks.append(_hidden(passed=True))
    seen = result.for_student()
    assert (seen.score, seen.max_score) == (result.score, result.max_score)
    assert seen.checks[0] == result.checks[0], "a visible check keeps its found, hint and command"
    assert seen.checks[-1].found == ""
    assert result.checks[-1].found == "it printed 42", "the instructor's result is not changed"


def test_hidden_survives_the_json_round_trip() -> None:
    result = Result("a.b", "s", checks=[_hidden()])
    again = Result.from_dict(json.loads(result.to_json()))
    assert again.checks[0].hidden is True
    assert again.checks[0].found == "it printed 42"
