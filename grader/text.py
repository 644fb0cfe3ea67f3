"""Bounding text for feedback: logs and outputs shown to students stay readable."""

from __future__ import annotations

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
