"""The terminal report a student reads: headline, table, reason, advice, and no Python internals."""

from __future__ import annotations

import re

from rich.console import Console

from grader import report
from grader.result import CheckResult, Result
from tests.results import SECRETS, hidden_check


def _text(result: Result) -> str:
    console = Console(record=True, width=120, color_system=None)
    report.show(result, console)
    return console.export_text()


def _failed_result() -> Result:
    return Result(
        exercise="dockerfiles.hello",
        submission="ana/dockerfiles.hello",
        checks=[
            CheckResult(
                "prints_hello",
                3,
                passed=False,
                expected="It prints exactly `Hello container`.",
                found="it printed 'Hello Container'",
                hint="Mind the small c.",
                reproduce="docker run --rm hello",
            ),
            CheckResult("small_image", 2, passed=True, expected="The image is smaller than 10 MB."),
        ],
        advice=["Line 3: Use COPY for local files (DL3020)"],
        duration_s=2.5,
    )


def test_the_headline_gives_exercise_status_and_score() -> None:
    text = _text(_failed_result())
    headline = text.splitlines()[0]
    assert "dockerfiles.hello" in headline
    assert "graded" in headline
    assert "2/5 points" in headline
    assert "(2.5 s)" in headline


def test_a_failed_check_shows_expected_found_hint_and_what_to_try() -> None:
    text = _text(_failed_result())
    assert "✗ prints hello" in text
    assert "0/3" in text
    assert "Expected: It prints exactly `Hello container`." in text
    assert "Found: it printed 'Hello Container'" in text
    assert "Mind the small c." in text
    assert "Try: docker run --rm hello" in text


def test_a_passed_check_shows_what_it_checked_and_no_hint() -> None:
    text = _text(_failed_result())
    assert "✓ small image" in text
    assert "2/2" in text
    assert "The image is smaller than 10 MB." in text


def test_advice_is_shown_in_its_own_panel() -> None:
    text = _text(_failed_result())
    assert "Advice (no points lost)" in text
    assert "• Line 3: Use COPY for local files (DL3020)" in text


def test_no_advice_no_reason_no_panels() -> None:
    result = _failed_result()
    result.advice = []
    text = _text(result)
    assert "Advice" not in text
    assert "What went wrong" not in text


def test_a_reason_is_shown_and_markup_in_it_is_printed_as_is() -> None:
    result = Result("dockerfiles.hello", "s", status="error", reason="could not start [bold]sandbox[/bold]")
    text = _text(result)
    assert "What went wrong" in text
    assert "could not start [bold]sandbox[/bold]" in text
    assert "0/0 points" in text


def test_no_python_internals_reach_the_student() -> None:
    text = _text(_failed_result())
    for internal in ("Traceback", "AssertionError", "CheckResult(", "Result(", "assert "):
        assert internal not in text


def test_a_parametrized_check_name_with_brackets_renders_literally() -> None:
    result = _failed_result()
    result.checks[0].name = "listens_on[/8080]"
    result.checks[1].name = "based_on[alpine]"
    text = _text(result)
    assert "listens on[/8080]" in text
    assert "based on[alpine]" in text


def test_found_text_with_brackets_is_not_taken_as_markup() -> None:
    result = _failed_result()
    result.checks[0].found = "it printed '[/red] [bold]'"
    assert "it printed '[/red] [bold]'" in _text(result)


def _score_style(result: Result) -> str:
    headline = report._headline(result)
    return next(
        str(span.style) for span in headline.spans if "points" in headline.plain[span.start : span.end]
    )


def test_the_score_is_green_only_for_full_marks_of_a_graded_result() -> None:
    full = _failed_result()
    full.checks[0].passed = True
    assert _score_style(full) == "bold green"
    assert _score_style(_failed_result()) == "bold yellow"
    assert _score_style(Result("a.b", "s", status="error", reason="no sandbox")) == "bold red"


def test_the_end_of_what_it_printed_is_shown_when_something_failed() -> None:
    result = _failed_result()
    result.log = "".join(f"line {n}\n" for n in range(30)) + "docker: Error response from daemon: Conflict.\n"
    text = _text(result)
    assert "The last lines it printed" in text
    assert "docker: Error response from daemon: Conflict." in text
    assert re.findall(r"line \d+", text) == [f"line {n}" for n in range(21, 30)]


def test_no_output_is_shown_when_everything_passed() -> None:
    passed = CheckResult("image_exists", 2, passed=True, expected="An image my-image.")
    result = Result("run-flow.commit", "ana", checks=[passed])
    result.log = "all good\n"
    assert "all good" not in _text(result)


def test_a_hidden_check_shows_what_it_expects_and_nothing_it_found() -> None:
    secret = hidden_check(2)
    text = _text(Result("dockerfiles.hello", "s", checks=[secret]))
    assert "It keeps a secret." in text
    assert "0/2" in text
    for word in SECRETS:
        assert word not in text
