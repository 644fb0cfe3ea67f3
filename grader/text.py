"""Bounding text for feedback: logs and outputs shown to students stay readable."""

from __future__ import annotations

LOG_LIMIT = 8_000


def tail(text: str, limit: int = LOG_LIMIT) -> str:
    """The end of `text`, at most `limit` characters, marked when cut."""
    if len(text) <= limit:
        return text
    kept = text[len(text) - max(limit, 0) :]
    return f"[... {len(text) - len(kept)} characters cut ...]\n" + kept


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
