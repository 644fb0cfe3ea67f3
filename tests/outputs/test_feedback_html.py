"""Per-student feedback as HTML: the Markdown's content, everything from a submission escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from grader.model.result import CheckResult, Result
from grader.outputs import feedback, feedback_html
from tests.results import HTML as HOSTILE_HTML
from tests.results import (
    MIA_MISSING,
    MIA_PERCENT,
    MIA_TOTAL,
    SECRETS,
    WEIGHTS,
    dangerous_in,
    grade_of,
    hidden_check,
    hostile_result,
    three_of_seven,
)

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _result(**changes: object) -> Result:
    checks = [
        CheckResult(
            "prints_hello",
            3,
            passed=False,
            expected="It prints `Hello container`.",
            found=f"it printed {ATTACK}",
            hint="Use `CMD`.",
            reproduce="docker run --rm hello <x>",
        ),
        CheckResult("small_image", 2, passed=True, expected="The image is small."),
        hidden_check(1),
    ]
    result = Result(
        "dockerfiles.hello",
        "s",
        checks=checks,
        log=f"step 1\n</pre>{ATTACK}\n",
        reason=f"it broke {ATTACK}",
        advice=[f"Line 2: {ATTACK}"],
    )
    for name, value in changes.items():
        setattr(result, name, value)
    return result


class Texts(HTMLParser):
    """The page's text and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> Texts:
    parser = Texts()
    parser.feed(page)
    return parser


def test_nothing_from_a_submission_becomes_markup() -> None:
    page = feedback_html.document(grade_of("<b>ana</b>", [_result()]))
    parsed = _parse(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    text = "".join(parsed.text)
    assert ATTACK in text, "the attack is shown as text, as the student wrote it"
    assert "<b>ana</b>" in text


def test_the_page_has_the_markdown_feedback_s_content() -> None:
    result = _result(advice=["Line 2: use COPY"], log="step 1\nERROR: boom\n", reason="it broke")
    text = " ".join("".join(_parse(feedback_html.document(grade_of("ana", [result]))).text).split())
    rendered = MarkdownIt("commonmark").render(feedback.markdown(grade_of("ana", [result])))
    markdown = " ".join("".join(_parse(rendered).text).split())
    for piece in (
        "Feedback for ana",
        "dockerfiles.hello: 2/6",
        "What went wrong:",
        "it broke",
        "prints hello",
        "(0/3)",
        "Expected: It prints Hello container.",
        f"Found: it printed {ATTACK}",
        "Hint: Use CMD.",
        "Try it yourself: docker run --rm hello <x>",
        "small image (2/2): The image is small.",
        "The last lines of what it printed (build or setup.sh):",
        "ERROR: boom",
        "Advice (no points lost):",
        "Line 2: use COPY",
        feedback.HIDDEN,
    ):
        assert piece in text, f"{piece!r} is not on the page"
        assert piece in markdown, f"{piece!r} is not in the Markdown"


def test_a_hidden_check_shows_only_what_it_expects() -> None:
    page = feedback_html.document(grade_of("ana", [_result()]))
    assert "It keeps a secret." in page
    for secret in SECRETS:
        assert secret not in page


def test_code_spans_of_the_course_s_words_are_code() -> None:
    page = feedback_html.document(grade_of("ana", [_result()]))
    assert "It prints <code>Hello container</code>." in page
    assert "<code>docker run --rm hello &lt;x&gt;</code>" in page


def test_write_puts_an_html_file_next_to_the_markdown(tmp_path: Path) -> None:
    path = feedback_html.write(grade_of("ben", [_result()]), tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "ben.html"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page, "no script runs and nothing is fetched"


PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "section", "h1", "h2", "p", "strong", "pre"}
PAGE_TAGS |= {"ul", "li", "span", "code", "table", "thead", "tbody", "tr", "th", "td"}


def test_a_hostile_result_is_text_with_its_escapes_visible() -> None:
    page = feedback_html.document(grade_of("evil\x1b]0;pwned\x07", [hostile_result()]))
    assert not dangerous_in(page)
    parsed = _parse(page)
    assert set(parsed.tags) <= PAGE_TAGS, "only the page's own tags"
    assert parsed.tags.count("table") == 1, "the grade's own table, no other"
    text = "".join(parsed.text)
    assert "Feedback for evil␛]0;pwned␇" in text
    for shown in ("␛]52;c;", "␛[2J", "✗ 0/10␍✓ 10/10", "␛[1A", "\\x9b2J", "\\u202e01/0", HOSTILE_HTML):
        assert shown in text, f"{shown!r} is not shown"


def test_three_of_seven_opens_with_the_total_then_a_row_per_exercise_that_add_up() -> None:
    page = feedback_html.document(three_of_seven().grade("mia"))
    text = " ".join("".join(_parse(page.split("<body>")[1]).text).split())
    assert text.startswith(f"Feedback for mia Total: {MIA_TOTAL:g}/100 ({MIA_PERCENT:g}%), 3 of 7 exercises")
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td>(.*?)</tr>", page)
    assert [exercise for exercise, _ in rows] == list(WEIGHTS)
    cells = {exercise: re.findall(r"<td[^>]*>([^<]*)</td>", rest) for exercise, rest in rows}
    assert cells["dockerfiles.webserver"] == ["7/10", "20", "14", "graded"]
    assert cells["dockerfiles.cli-tool"] == ["0/10", "20", "0", "not handed in"]
    assert round(sum(float(row[2]) for row in cells.values()), 2) == MIA_TOTAL
    missing = page.split("Not handed in</strong> (each counts 0): ")[1].split("</p>")[0]
    assert missing == ", ".join(f"<code>{exercise}</code>" for exercise in MIA_MISSING) + "."
    assert "<h2>dockerfiles.webserver: 7/10 (70%), 14 of 20 in the total</h2>" in page
