"""Bounding text for feedback: logs and outputs shown to students stay readable."""

from __future__ import annotations

LOG_LIMIT = 8_000


def tail(text: str, limit: int = LOG_LIMIT) -> str:
    """The end of `text`, at most `limit` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut ...]\n" + text[-limit:]


def last_lines(text: str, count: int = 8) -> str:
    """The last `count` non-empty lines of `text`."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-count:])


def shorten(text: str, limit: int = 300) -> str:
    """`text` cut to `limit` characters for a one-line message."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
