"""Student text made safe for where it is shown: a terminal, Markdown, HTML, CSV, XML.

What a submission controls (its output, what the checks found, its folder name,
the names of what it built) is rendered only through these functions, at the
moment it is rendered; stored results keep the raw text.

Every function first makes invisible and dangerous characters visible: C0
controls but newline and tab (ESC becomes `␛`, CR `␍`, so an escape sequence
or a line rewritten by a carriage return shows as text), DEL (`␡`), C1
controls, bidirectional overrides, line separators and noncharacters (`\\x9b`,
`\\u202e`), and lone surrogates, such as the undecodable bytes of a folder name
(`\\xff`). Nothing is dropped silently, so what a student tried stays readable.
"""

from __future__ import annotations

import html
import re

_KEPT = "\n\t"
# C0 and DEL, C1, Arabic letter mark, LRM/RLM, line and paragraph separators, bidi embeddings and
# overrides, bidi isolates, surrogates (undecodable bytes of a file name), noncharacters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>&|~#!$])")
_MARKDOWN_LINE_START = re.compile(r"^( *\d*)([-+=.)])")  # a list item or a heading underline
_CODE = re.compile(r"`([^`\n]+)`")
_BACKTICKS = re.compile(r"`+")
_FORMULA_TRIGGERS = "=+-@\t\r\n＝＋－＠"  # also the full-width forms some spreadsheets read as ASCII


def _stand_in(char: str) -> str:
    """A visible stand-in for one unsafe character."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ... ␟
    if code == 0x7F:
        return "␡"
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8 (surrogateescape)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, keep: str = _KEPT) -> str:
    """`text` with every unsafe character shown as a visible stand-in; those in `keep` stay.

    CR LF becomes LF when newlines are kept; a lone CR shows as `␍`.
    """
    if "\n" in keep:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(lambda found: found[0] if found[0] in keep else _stand_in(found[0]), text)


def for_terminal(text: str) -> str:
    """`text` that can only print as text: no escape sequence, no cursor move; newlines and tabs stay."""
    return visible(text)


def terminal_line(text: str) -> str:
    """`text` on one line of a terminal: newlines and tabs are shown (`␊`, `␉`) too."""
    return visible(text, keep="")


def markdown_text(text: str) -> str:
    """`text` as plain words in Markdown, on one line: no markup, link, HTML or math can form.

    Not even at the start of a line: a list item, a heading underline or a numbered item.
    """
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", _words(text), count=1)


def markdown_code(text: str) -> str:
    """`text` in a code span, on one line, whose backtick fence is longer than any run inside it."""
    line = visible(text, keep="\t")
    fence = "`" * (_longest_backticks(line) + 1)
    if not line.strip(" ") or line[0] in " `" or line[-1] in " `":
        line = f" {line} "  # CommonMark strips one space from each end of a span that has both
    return f"{fence}{line}{fence}"


def markdown_block(text: str, indent: str = "") -> list[str]:
    """`text` as a fenced code block whose fence no line can close, each line after `indent`."""
    lines = visible(text).split("\n")
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return [f"{indent}{line}".rstrip() or indent.rstrip() for line in [fence, *lines, fence]]


def markdown_inline(text: str) -> str:
    """Course wording that may quote student text: `code` spans stay code, all else is plain words."""
    parts = _CODE.split(text)  # even indices: words; odd: what was between backticks
    shown = [markdown_code(part) if index % 2 else _words(part) for index, part in enumerate(parts)]
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", "".join(shown), count=1)


def markdown_cell(text: str, *, code: bool = False) -> str:
    """`text` in a cell of a Markdown table: one line, its pipes escaped (also inside a code span)."""
    return markdown_code(text).replace("|", "\\|") if code else markdown_text(text)


def html_text(value: object) -> str:
    """Any text for HTML, in an element or a quoted attribute: escaped, its controls made visible."""
    return html.escape(visible(str(value)), quote=True)


def xml_text(text: str) -> str:
    """`text` that XML 1.0 can hold: controls made visible, anything else it cannot hold dropped."""
    return _NOT_XML.sub("", visible(text))


def csv_cell(text: str) -> str:
    """`text` for a spreadsheet cell: one line, and never read as a formula.

    As OWASP recommends, a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
    (or their full-width forms, or any of them after leading blanks) gets a leading `'`.
    """
    line = terminal_line(text)
    starts = {text[:1], text.lstrip(" \t\r\n")[:1]} - {""}
    return f"'{line}" if any(start in _FORMULA_TRIGGERS for start in starts) else line


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def _words(text: str) -> str:
    """`text` on one line with every Markdown punctuation mark that could start markup escaped."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", terminal_line(text))
