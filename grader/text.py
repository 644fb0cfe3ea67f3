"""Text for people: logs and outputs bounded so they stay readable, and suggestions for a typo."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

LOG_LIMIT = 8_000


def tail(text: str, limit: int = LOG_LIMIT, *, cut_before: int = 0) -> str:
    """The end of `text`, at most `limit` characters, marked when cut.

    `cut_before` counts characters already dropped from the front of `text`,
    so that the mark tells how much of the whole output is missing.
    """
    kept = text[len(text) - max(limit, 0) :] if len(text) > limit else text
    cut = cut_before + len(text) - len(kept)
    return f"[... {cut} characters cut ...]\n{kept}" if cut else kept


def last_lines(text: str, count: int = 8) -> str:
    """The last `count` non-empty lines of `text`."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-count:]) if count > 0 else ""


def shorten(text: str, limit: int = 300) -> str:
    """`text` cut to `limit` characters for a one-line message."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 0)] + "..."[: max(limit, 0)]


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """A sentence naming the known word closest to `word` (" Did you mean 'x'?"), or "" if none is."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""
