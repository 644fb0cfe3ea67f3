"""Per-student Markdown feedback: scores, ✅/❌ items, what to try, and the build log when it helps."""

from __future__ import annotations

from pathlib import Path

from grader import feedback
from grader.result import CheckResult, Result
from tests.results import SECRETS, hidden_check

LOG = "\n".join(f"#{n} step {n}" for n in range(1, 40)) + "\n#40 ERROR: no-such-command: not found\n"


def _hello(*, passed: bool, log: str = LOG) -> Result:
    return Result(
        exercise="dockerfiles.hello",
        submission="ana/dockerfiles.hello",
        checks=[
            CheckResult(
                "prints_hello",
                3,
                passed=passed,
                expected="It prints `Hello container`.",
                found="" if passed else "it printed 'bye'\nand then 'ciao'",
                hint="Use CMD.",
                reproduce="docker run --rm hello",
            ),
            CheckResult("small_image", 2, passed=True, expected="The image is small."),
        ],
        log=log,
        advice=["Line 2: Use COPY (DL3020)"],
    )


def _webserver() -> Result:
    return Result(
        "dockerfiles.webserver",
        "ana/dockerfiles.webserver",
        checks=[CheckResult("exposes_8080", 1, passed=True, expected="It exposes 8080.")],
        log="all fine\n",
    )


def test_a_score_line_per_exercise_in_order() -> None:
    text = feedback.markdown("ana", [_webserver(), _hello(passed=False)])
    assert text.startswith("# Feedback for ana\n")
    assert "## dockerfiles.hello: 2/5" in text
    assert "## dockerfiles.webserver: 1/1" in text
    assert text.index("## dockerfiles.hello") < text.index("## dockerfiles.webserver")


def test_passed_and_failed_items_with_expected_found_hint_and_try() -> None:
    text = feedback.markdown("ana", [_hello(passed=False)])
    assert "- ✅ **small image** (2/2): The image is small." in text
    assert "- ❌ **prints hello** (0/3)" in text
    assert "  - Expected: It prints `Hello container`." in text
    assert "  - Found: it printed 'bye'\n    and then 'ciao'" in text
    assert "  - Hint: Use CMD." in text
    assert "  - Try it yourself: `docker run --rm hello`" in text
    assert "- Line 2: Use COPY (DL3020)" in text


def test_the_build_log_tail_is_there_when_something_failed() -> None:
    text = feedback.markdown("ana", [_hello(passed=False)])
    assert "The last lines of what it printed" in text
    assert "#40 ERROR: no-such-command: not found" in text
    assert "#39 step 39" in text
    assert "#1 step 1\n" not in text, "only the tail of the log, not all of it"


def test_no_build_log_when_everything_passed() -> None:
    text = feedback.markdown("ana", [_hello(passed=True), _webserver()])
    assert "The last lines of what it printed" not in text
    assert "no-such-command" not in text
    assert "all fine" not in text
    assert "❌" not in text


def test_the_build_log_is_shown_for_an_unfinished_build() -> None:
    result = Result("dockerfiles.hello", "s", status="timeout", reason="did not finish", log="tick\ntock\n")
    text = feedback.markdown("ana", [result])
    assert "tick\ntock" in text


def test_a_log_with_a_code_fence_cannot_break_out_of_its_block() -> None:
    text = feedback.markdown("ana", [_hello(passed=False, log="RUN echo '```'\n**bold**\n")])
    block = text.split("(build or setup.sh):\n\n", 1)[1]
    fence = block.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) > 3
    assert block.count(fence + "\n") == 2


def test_a_reason_is_quoted_as_it_is() -> None:
    result = Result("dockerfiles.hello", "s", status="error", reason="The sandbox did not start.")
    text = feedback.markdown("ana", [result])
    assert "**What went wrong:**\n\n```\nThe sandbox did not start.\n```" in text
    assert "## dockerfiles.hello: 0/0" in text


def test_write_puts_one_file_per_student(tmp_path: Path) -> None:
    path = feedback.write("ben", [_webserver()], tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "ben.md"
    assert path.read_text() == feedback.markdown("ben", [_webserver()])
    assert path.read_text().endswith("\n") and not path.read_text().endswith("\n\n")


def test_a_hidden_check_shows_only_what_it_expects_and_whether_it_passed() -> None:
    result = _hidden_result()
    text = feedback.markdown("ana", [result])
    assert "- ❌ **secret** (0/2)" in text
    assert "  - Expected: It keeps a secret." in text
    assert feedback.HIDDEN in text
    for secret in SECRETS:
        assert secret not in text
    assert "## dockerfiles.hello: 0/2" in text, "it still counts"


def _hidden_result() -> Result:
    secret = hidden_check(2)
    return Result("dockerfiles.hello", "s", checks=[secret])
