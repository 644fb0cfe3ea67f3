"""Student text made safe to show: terminals, Markdown, HTML, CSV and XML."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from grader.safe_text import (
    csv_cell,
    for_terminal,
    html_text,
    markdown_block,
    markdown_cell,
    markdown_code,
    markdown_inline,
    markdown_text,
    terminal_line,
    visible,
    xml_text,
)
from tests.results import (
    BACKTICKS,
    BIDI,
    C1_CSI,
    CLIPBOARD,
    DANGEROUS,
    FORGED_CR,
    FORGED_UP,
    HOSTILE,
    HOSTILE_STUDENTS,
    HTML,
    LINK,
    TITLE,
    dangerous_in,
    markdown_html,
    markup_from_student,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (TITLE, "␛]0;pwned␇"),
        (CLIPBOARD, "␛]52;c;cm0gLXJmIH4=␇"),
        ("\x1b[2J\x1b[H", "␛[2J␛[H"),
        (FORGED_CR, "✗ 0/10␍✓ 10/10"),
        (FORGED_UP, "␛[1A␛[2K✓ 10/10 passed"),
        (C1_CSI, "\\x9b2J"),
        (BIDI, "\\u202e01/0 ✓"),
        ("\x00\x7f\x85\u2066\u2028\ufeff", "␀␡\\x85\\u2066\\u2028\ufeff"),
        ("a\r\nb\tc\n", "a\nb\tc\n"),
        ("caf\udcc3\udca9", "caf\\xc3\\xa9"),  # a folder name's undecodable bytes (surrogateescape)
    ],
)
def test_for_terminal_shows_every_control_as_a_visible_mark(raw: str, shown: str) -> None:
    assert for_terminal(raw) == shown
    assert not dangerous_in(for_terminal(raw))


def test_for_terminal_keeps_ordinary_text_as_it_is() -> None:
    text = "Step 1/3 : FROM busybox\n\tok ✓ — naïve 日本 🐳 [bold] $HOME `x`"
    assert for_terminal(text) == text


def test_terminal_line_also_shows_newlines_and_tabs() -> None:
    assert terminal_line("ana\n  ben 10/10\t") == "ana␊  ben 10/10␉"


def test_visible_keeps_what_it_is_told_to() -> None:
    assert visible("a\tb\nc", keep="\t") == "a\tb␊c"


def test_the_hostile_text_keeps_every_word_readable() -> None:
    shown = for_terminal(HOSTILE)
    assert not dangerous_in(shown)
    for words in ("pwned", "✗ 0/10", "✓ 10/10", HTML, LINK, BACKTICKS, "# Full marks"):
        assert words in shown


def test_markdown_text_is_words_only() -> None:
    html = markdown_html(markdown_text(HOSTILE))
    assert html.startswith("<p>") and html.count("<p>") == 1, "one paragraph, no heading, list or block"
    assert not markup_from_student(html)
    assert "<code>" not in html and "<h1>" not in html
    assert "&lt;script&gt;" in html and "](javascript:alert(1))" in html
    assert not dangerous_in(html)


@pytest.mark.parametrize("start", ["- item", "+ item", "1. item", "3) item", "=====", "# title", "> quote"])
def test_markdown_text_cannot_start_a_block_even_at_a_line_start(start: str) -> None:
    html = markdown_html(markdown_text(start))
    assert html == f"<p>{start.replace('>', '&gt;')}</p>\n"


@pytest.mark.parametrize("text", [BACKTICKS, "`", "``", "a`", "`a`", " a ", "", "x\ny", HTML, TITLE])
def test_markdown_code_is_one_code_span_with_the_text_as_it_is(text: str) -> None:
    html = markdown_html(markdown_code(text))
    code = re.fullmatch(r"<p><code>(.*)</code></p>\n", html, re.DOTALL)
    assert code is not None, html
    expected = terminal_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert code[1].replace("&quot;", '"') == (expected or "  ")


def test_markdown_code_fence_is_longer_than_any_backtick_run() -> None:
    assert markdown_code("a ` b `` c ```` d") == "`````a ` b `` c ```` d`````"


def test_markdown_block_cannot_be_closed_from_inside() -> None:
    lines = markdown_block(HOSTILE)
    assert lines[0] == lines[-1] == "`````", "longer than the four backticks inside"
    html = markdown_html("\n".join(lines))
    assert html.startswith("<pre><code>") and html.endswith("</code></pre>\n")
    assert html.count("<pre>") == 1 and not markup_from_student(html)
    assert not dangerous_in(html)


def test_markdown_block_in_a_list_item_stays_in_it() -> None:
    markdown = "\n".join(["- Found:", *markdown_block("one\n```\n- two\n\n# three", indent="  "), "- next"])
    html = markdown_html(markdown)
    assert html.count("<li>") == 2 and html.count("<pre>") == 1
    assert "- two\n\n# three" in html


def test_markdown_inline_keeps_code_spans_and_escapes_the_rest() -> None:
    html = markdown_html(markdown_inline(f"Refused: `--privileged` for {HTML} {LINK} `{BACKTICKS}"))
    assert "<code>--privileged</code>" in html
    assert not markup_from_student(html)
    assert "&lt;script&gt;" in html


def test_markdown_cell_keeps_one_cell() -> None:
    hostile = "a | b\nc | `d|e`"
    table = "\n".join(
        ["| x | y |", "| - | - |", f"| {markdown_cell(hostile)} | {markdown_cell(hostile, code=True)} |"]
    )
    html = markdown_html(table)
    assert html.count("<td>") == 2, html
    assert "a | b␊c | `d|e`" in html
    assert "<code>a | b␊c | `d|e`</code>" in html


def test_html_text_escapes_and_shows_controls() -> None:
    escaped = html_text(f"{HTML}\"'{TITLE}{BIDI}")
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "'" not in escaped
    assert not dangerous_in(escaped)
    assert "␛]0;pwned␇" in escaped


def test_xml_text_is_always_xml() -> None:
    every = "".join(map(chr, range(0x80))) + "\x9b\ud800\udcff\ufffe\uffff\u202e"
    cleaned = xml_text(every)
    element = ElementTree.fromstring(f"<a>{cleaned.replace('&', '&amp;').replace('<', '&lt;')}</a>")
    assert element.text is not None and not dangerous_in(element.text)
    assert "␛" in element.text and "\\xff" in element.text


@pytest.mark.parametrize("name", HOSTILE_STUDENTS)
def test_csv_cell_never_starts_a_formula(name: str) -> None:
    cell = csv_cell(name)
    assert cell.startswith("'")
    assert cell[1:] == terminal_line(name)


@pytest.mark.parametrize("name", ["ana", "Ben Smith", "1", "o'brien", "", "'quoted"])
def test_csv_cell_keeps_ordinary_names(name: str) -> None:
    assert csv_cell(name) == name


def test_csv_cell_with_leading_spaces_or_controls() -> None:
    assert csv_cell("  =1+1") == "'  =1+1"
    assert csv_cell("\r=1") == "'␍=1"
    assert csv_cell("\tana") == "'␉ana"
    assert csv_cell("a\nb") == "a␊b"


def test_no_function_lets_a_dangerous_character_through() -> None:
    text = "".join(DANGEROUS) + HOSTILE
    for render in (for_terminal, terminal_line, markdown_text, markdown_code, markdown_inline, html_text):
        assert not dangerous_in(render(text)), render.__name__
    assert not dangerous_in("\n".join(markdown_block(text)))
    assert not dangerous_in(csv_cell(text)) and not dangerous_in(xml_text(text))
