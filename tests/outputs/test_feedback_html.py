"""Per-student feedback as HTML: the Markdown's content, everything from a submission escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from grader import feedback
from grader.outputs import feedback_html
from grader.result import CheckResult, Result
from tests.results import SECRETS, hidden_check

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
    page = feedback_html.document("<b>ana</b>", [_result()])
    parsed = _parse(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    text = "".join(parsed.text)
    assert ATTACK in text, "the attack is shown as text, as the student wrote it"
    assert "<b>ana</b>" in text


def test_the_page_has_the_markdown_feedback_s_content() -> None:
    result = _result(advice=["Line 2: use COPY"], log="step 1\nERROR: boom\n", reason="it broke")
    text = " ".join("".join(_parse(feedback_html.document("ana", [result])).text).split())
    markdown = " ".join(feedback.markdown("ana", [result]).replace("`", "").replace("**", "").split())
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
    page = feedback_html.document("ana", [_result()])
    assert "It keeps a secret." in page
    for secret in SECRETS:
        assert secret not in page


def test_code_spans_of_the_course_s_words_are_code() -> None:
    page = feedback_html.document("ana", [_result()])
    assert "It prints <code>Hello container</code>." in page
    assert "<code>docker run --rm hello &lt;x&gt;</code>" in page


def test_write_puts_an_html_file_next_to_the_markdown(tmp_path: Path) -> None:
    path = feedback_html.write("ben", [_result()], tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "ben.html"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page, "no script runs and nothing is fetched"
