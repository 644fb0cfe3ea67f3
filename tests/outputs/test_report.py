"""The terminal report a student reads: headline, table, reason, advice, and no Python internals."""

from __future__ import annotations

import re
import sys

import pytest
from rich.console import Console

from grader.model.result import CheckResult, Result
from grader.outputs import report
from grader.outputs.console import make as make_console
from tests.results import SECRETS, SGR, dangerous_on_terminal, hidden_check, hostile_result, terminal_output

TERMINAL = True  # whether `_text` prints to a terminal or, as when piped, to a plain console


@pytest.fixture(autouse=True, params=[True, False], ids=["terminal", "piped"])
def _either_console(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test below reads the report both on a terminal and piped."""
    monkeypatch.setattr(sys.modules[__name__], "TERMINAL", request.param)


def _text(result: Result) -> str:
    console = Console(record=True, width=120, color_system=None, force_terminal=TERMINAL)
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


def test_a_hostile_result_reaches_the_terminal_as_text() -> None:
    output = terminal_output(report.render(hostile_result()))
    assert not dangerous_on_terminal(output), dangerous_on_terminal(output)
    text = SGR.sub("", output)
    for shown in ("␛]0;pwned␇", "␛]52;c;", "␛[2J", "␛[1A␛[2K", "\\x9b2J", "\\u202e01/0", "<script>"):
        assert shown in text, f"{shown!r} is not shown"
    assert "✗ 0/10␍✓ 10/10" in text, "a carriage return cannot print over a verdict"


def test_emoji_codes_and_markup_in_a_hostile_result_stay_as_typed() -> None:
    result = hostile_result()
    result.checks[0].found = ":white_check_mark: [green]10/10[/] [link=https://x]y[/link]"
    text = SGR.sub("", terminal_output(report.render(result)))
    assert ":white_check_mark: [green]10/10[/] [link=https://x]y[/link]" in text
    assert "✅" not in text and "\x1b]8;" not in text


LONG_COMMAND = "docker run --rm --name a-very-long-container-name " + " ".join(
    f"--env VARIABLE_{n}=value" for n in range(12)
)


def test_piped_the_report_is_plain_lines_and_each_command_to_try_is_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = _failed_result()
    result.checks[0].reproduce = LONG_COMMAND
    result.checks[0].found = "it printed 'Hello Container'\nand a second line"
    result.reason = "It went wrong."
    report.show(result, make_console())  # stdout is captured here: no terminal, as when piped
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "dockerfiles.hello  graded  2/5 points (40%)  (2.5 s)"
    assert f"    Try: {LONG_COMMAND}" in lines, "the command whole, on a line of its own"
    assert lines[lines.index("✗ prints hello  0/3") + 1 :][:4] == [
        "    Expected: It prints exactly `Hello container`.",
        "    Found: it printed 'Hello Container'",
        "    and a second line",
        "    Hint: Mind the small c.",
    ]
    assert lines[lines.index("What went wrong:") :][:2] == ["What went wrong:", "    It went wrong."]
    text = "\n".join(lines)
    assert "…" not in text and not set(text) & set("│─┃━╭╮╰╯"), "no ellipsis, no box"
    assert "\x1b" not in text


def test_on_a_terminal_each_command_to_try_is_below_the_table_on_a_line_of_its_own() -> None:
    result = _failed_result()
    text = SGR.sub("", terminal_output(report.render(result), width=100))
    assert "✗ prints hello  Try: docker run --rm hello" in text.splitlines()
    table = text.split("✗ prints hello  Try:")[0]
    assert "docker run" not in table, "no command cut by a table cell"
