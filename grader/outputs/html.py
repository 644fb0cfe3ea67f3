"""Plain HTML pages: one stylesheet, no scripts, nothing fetched; every text escaped."""

from __future__ import annotations

import html
import re

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
""".strip()


def text(value: object) -> str:
    """Any text, escaped: what a submission wrote can never become markup."""
    return html.escape(str(value), quote=True)


def inline(value: str) -> str:
    """Course-written text (expected, hints), escaped, with `code` spans shown as code."""
    return CODE.sub(r"<code>\1</code>", text(value))


def pre(value: str) -> str:
    return f"<pre>{text(value)}</pre>"


def page(title: str, body: str) -> str:
    """A whole page; the policy forbids scripts and anything from elsewhere."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        f"<title>{text(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def score(earned: float, possible: float) -> str:
    return f"{earned:g}/{possible:g}"
