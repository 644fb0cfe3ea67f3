"""Per-student Markdown feedback: scores, ✅/❌ items, what to try, and the build log when it helps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.course.notebook import Score
from grader.model.result import CheckResult, Result
from grader.outputs import feedback
from tests.results import (
    HOSTILE_STUDENTS,
    MIA_MISSING,
    MIA_PERCENT,
    MIA_TOTAL,
    SECRETS,
    WEIGHTS,
    dangerous_in,
    grade_of,
    hidden_check,
    hostile_result,
    markdown_html,
    markup_from_student,
    scored,
    three_of_seven,
)

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
    text = feedback.markdown(grade_of("ana", [_webserver(), _hello(passed=False)]))
    assert text.startswith("# Feedback for ana\n")
    assert "## dockerfiles.hello: 2/5" in text
    assert "## dockerfiles.webserver: 1/1" in text
    assert text.index("## dockerfiles.hello") < text.index("## dockerfiles.webserver")


def test_passed_and_failed_items_with_expected_found_hint_and_try() -> None:
    text = feedback.markdown(grade_of("ana", [_hello(passed=False)]))
    assert "- ✅ **small image** (2/2): The image is small." in text
    assert "- ❌ **prints hello** (0/3)" in text
    assert "  - Expected: It prints `Hello container`." in text
    assert "  - Found:\n    ```\n    it printed 'bye'\n    and then 'ciao'\n    ```\n" in text
    assert "  - Hint: Use CMD." in text
    assert "  - Try it yourself: `docker run --rm hello`" in text
    assert "- Line 2: Use COPY (DL3020)" in text


def test_the_build_log_tail_is_there_when_something_failed() -> None:
    text = feedback.markdown(grade_of("ana", [_hello(passed=False)]))
    assert "The last lines of what it printed" in text
    assert "#40 ERROR: no-such-command: not found" in text
    assert "#39 step 39" in text
    assert "#1 step 1\n" not in text, "only the tail of the log, not all of it"


def test_no_build_log_when_everything_passed() -> None:
    text = feedback.markdown(grade_of("ana", [_hello(passed=True), _webserver()]))
    assert "The last lines of what it printed" not in text
    assert "no-such-command" not in text
    assert "all fine" not in text
    assert "❌" not in text


def test_the_build_log_is_shown_for_an_unfinished_build() -> None:
    result = Result("dockerfiles.hello", "s", status="timeout", reason="did not finish", log="tick\ntock\n")
    text = feedback.markdown(grade_of("ana", [result]))
    assert "tick\ntock" in text


def test_a_log_with_a_code_fence_cannot_break_out_of_its_block() -> None:
    text = feedback.markdown(grade_of("ana", [_hello(passed=False, log="RUN echo '```'\n**bold**\n")]))
    block = text.split("(build or setup.sh):\n\n", 1)[1]
    fence = block.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) > 3
    assert block.count(fence + "\n") == 2


def test_a_reason_is_quoted_as_it_is() -> None:
    result = Result("dockerfiles.hello", "s", status="error", reason="The sandbox did not start.")
    text = feedback.markdown(grade_of("ana", [result]))
    assert "**What went wrong:**\n\n```\nThe sandbox did not start.\n```" in text
    assert "## dockerfiles.hello: 0/0" in text


def test_write_puts_one_file_per_student(tmp_path: Path) -> None:
    path = feedback.write(grade_of("ben", [_webserver()]), tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "ben.md"
    assert path.read_text() == feedback.markdown(grade_of("ben", [_webserver()]))
    assert path.read_text().endswith("\n") and not path.read_text().endswith("\n\n")


def test_a_hidden_check_shows_only_what_it_expects_and_whether_it_passed() -> None:
    result = _hidden_result()
    text = feedback.markdown(grade_of("ana", [result]))
    assert "- ❌ **secret** (0/2)" in text
    assert "  - Expected: It keeps a secret." in text
    assert feedback.HIDDEN in text
    for secret in SECRETS:
        assert secret not in text
    assert "## dockerfiles.hello: 0/2" in text, "it still counts"


def _hidden_result() -> Result:
    secret = hidden_check(2)
    return Result("dockerfiles.hello", "s", checks=[secret])


def test_a_hostile_result_shows_as_text_in_the_markdown() -> None:
    text = feedback.markdown(grade_of("ana", [hostile_result()]))
    assert not dangerous_in(text)
    summary, html = markdown_html(text).split("<h2>", 1)
    assert summary.count("<table>") == 1 and "<script" not in summary, "only the grade's own table"
    assert not markup_from_student(html), html
    assert summary.count("<h1>") == 1 and "<h" not in html, "no heading from the student"
    for shown in ("␛]0;pwned␇", "␛]52;c;", "␛[2J", "✗ 0/10␍✓ 10/10", "␛[1A", "\\x9b2J", "\\u202e01/0"):
        assert shown in html, f"{shown!r} is not shown"
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "# Full marks" in html and "| a | b |" in html and "**10/10**" in html


def test_a_hostile_result_keeps_the_feedback_s_structure() -> None:
    html = markdown_html(feedback.markdown(grade_of("ana", [hostile_result()])))
    items = re.findall(r"<li>(?:<p>)?([^<\n]*)", html)
    assert [item for item in items if item.startswith(("❌", "✅"))] == ["❌ ", "❌ ", "❌ "]
    assert html.count("<pre><code>") == 3, "the reason, the found lines, the log: each its own block"
    assert "<code>--privileged</code>" in html, "the course's code spans stay code"
    assert "<code>docker run --rm a ` b `` c ```` d ␛]0;pwned␇</code>" in html


@pytest.mark.parametrize(
    "student", [*HOSTILE_STUDENTS, "# <b>x</b>", "[a](javascript:1)", "ana\n# Full marks"]
)
def test_a_hostile_student_name_is_plain_words_in_the_heading(student: str) -> None:
    html = markdown_html(feedback.markdown(grade_of(student, [_webserver()])))
    assert html.startswith("<h1>Feedback for ") and html.count("<h1>") == 1
    assert "<a " not in html and "<b>" not in html and "\t" not in html.split("</h1>")[0]


def test_a_notebook_shows_a_hostile_result_as_the_feedback_does() -> None:
    result = hostile_result()
    assert Score(result)._repr_markdown_() == feedback.exercise_markdown(result)
    assert not dangerous_in(Score(result)._repr_markdown_())


def test_an_undecodable_folder_name_is_written(tmp_path: Path) -> None:
    path = feedback.write(grade_of("caf\udcc3", [hostile_result()]), tmp_path)
    assert path.read_text(encoding="utf-8").startswith("# Feedback for caf\\\\xc3\n")


def _numbers(markdown: str) -> dict[str, list[str]]:
    """The summary table's rows, by exercise: points, weight, contribution, status."""
    rows = [line.split(" | ") for line in markdown.splitlines() if line.startswith("| `")]
    return {row[0].strip("| `"): [cell.strip(" |") for cell in row[1:]] for row in rows}


def test_three_of_seven_the_total_first_then_every_exercise_and_the_missing_work() -> None:
    text = feedback.markdown(three_of_seven().grade("mia"))
    head = text.split("\n")[:3]
    assert head == [
        "# Feedback for mia",
        "",
        f"**Total: {MIA_TOTAL:g}/100 ({MIA_PERCENT:g}%)** (3 of 7 exercises handed in)",
    ]
    rows = _numbers(text)
    assert list(rows) == list(WEIGHTS), "every exercise of the assignment, in its order"
    assert rows["dockerfiles.webserver"] == ["7/10", "20", "14", "graded"]
    assert rows["networks.cats-and-dogs"] == ["3/7", "10", "4.29", "graded"]
    assert rows["dockerfiles.cli-tool"] == ["0/10", "20", "0", "not handed in"]
    assert rows["volumes.shared-data"] == ["0", "10", "0", "not handed in"], "its maximum is not known"
    assert round(sum(float(row[2]) for row in rows.values()), 2) == MIA_TOTAL, "contributions make the total"
    assert sum(float(row[1]) for row in rows.values()) == 100
    assert f"| **Total** | | 100 | **{MIA_TOTAL:g}** | {MIA_PERCENT:g}% |" in text
    missing = text.split("**Not handed in** (each counts 0): ")[1].split("\n")[0]
    assert missing == ", ".join(f"`{exercise}`" for exercise in MIA_MISSING) + "."
    assert "## dockerfiles.webserver: 7/10 (70%), 14 of 20 in the total" in text
    assert "## dockerfiles.hello: 10/10 (100%)\n" in text, "a weight equal to the maximum goes unsaid"
    assert text.index("**Total:") < text.index("## dockerfiles.hello")


def test_the_summary_renders_as_one_table_and_no_student_text_breaks_it() -> None:
    html = markdown_html(feedback.markdown(grade_of("a | b", [hostile_result()])))
    table = html.split("<table>")[1].split("</table>")[0]
    assert table.count("<tr>") == 3, "a heading, one exercise, the total"
    assert "<td><code>dockerfiles.hello</code></td>" in table and "<td>error</td>" in table


def test_a_notebook_result_opens_with_its_score_and_percentage() -> None:
    shown = Score(scored("run-flow.commit", [(1, True), (2, False)]))._repr_markdown_()
    assert shown.startswith("## run-flow.commit: 1/3 (33.3%)\n")
