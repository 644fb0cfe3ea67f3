"""Plain HTML pages: one stylesheet, no scripts, nothing fetched; every text escaped."""

from __future__ import annotations

import re

from grader.safe_text import html_text

POLICY = "default-src 'none'; style-src 'unsafe-inline'"  # no scripts, nothing fetched
CODE = re.compile(r"`([^`\n]+)`")

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .7em; text-align: left; vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .7em; overflow-x: auto; white-space: pre-wrap; }
code { background: #f2f2f2; padding: 0 .2em; }
.passed { color: #1a7f37; } .failed { color: #cf222e; } .muted { color: #777; }
.histogram { display: flex; align-items: flex-end; gap: 2px; height: 6em; margin: .5em 0 0; }
.histogram .bar { background: #4a7bd0; flex: 1; min-width: 1.2em; }
.axis { display: flex; gap: 2px; font-size: 80%; color: #555; }
.axis span { flex: 1; min-width: 1.2em; text-align: center; }
ul.checks { list-style: none; padding-left: 0; }
ul.checks li { margin: .4em 0; }
body.wide { max-width: 100em; }
.scroll { overflow-x: auto; max-width: 100%; }
#gradebook th, #gradebook td { padding: .3em .45em; }
#gradebook th.exercise { max-width: 8em; font-weight: 600; font-size: 85%; }
#gradebook .limits { display: block; font-weight: normal; color: #555; }
#gradebook .limits span { white-space: nowrap; }
#gradebook td.total, #gradebook th.total { font-weight: bold; white-space: nowrap; }
#gradebook tfoot th, #gradebook tfoot td { border-top: 2px solid #888; background: #f6f6f6; }
.status { white-space: nowrap; padding: 0 .3em; border-radius: 3px; }
.status-graded { background: #dafbe1; } .status-incomplete { background: #fff8c5; }
.status-error, .status-timeout { background: #ffebe9; } .status-not-handed-in { background: #eee; }
.mark { font-size: 80%; color: #cf222e; }
.histogram .bin { flex: 1; min-width: 1.6em; height: 100%; display: flex; align-items: flex-end; }
.histogram .bin .bar { width: 100%; min-width: 0; position: relative; }
.histogram .count { position: absolute; top: -1.3em; width: 100%; text-align: center; font-size: 80%; }
.histogram { margin-top: 1.5em; }
.distribution { max-width: 50em; }
.axis span { min-width: 1.6em; }
table.source { font: 13px/1.4 ui-monospace, monospace; background: #f6f6f6; }
table.source td { border: 0; padding: 0 .6em; white-space: pre-wrap; }
td.line-number { color: #888; text-align: right; user-select: none; }
td.line-number::before { content: attr(data-line); }
table.facts th { font-weight: normal; color: #555; }
""".strip()


def text(value: object) -> str:
    """Any text, escaped (also for a quoted attribute): what a submission wrote can never become
    markup, and its control characters and bidi overrides show as visible marks."""
    return html_text(value)


def inline(value: str) -> str:
    """Course-written text (expected, hints), escaped, with `code` spans shown as code."""
    return CODE.sub(r"<code>\1</code>", text(value))


def pre(value: str) -> str:
    return f"<pre>{text(value)}</pre>"


def page(title: str, body: str, *, wide: bool = False) -> str:
    """A whole page (`wide`: as wide as the window allows, for tables); the policy forbids scripts
    and anything from elsewhere."""
    opening = '<body class="wide">' if wide else "<body>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        f"<title>{text(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n{opening}\n{body}\n</body>\n</html>\n"
    )


def score(earned: float, possible: float) -> str:
    return f"{earned:g}/{possible:g}"
