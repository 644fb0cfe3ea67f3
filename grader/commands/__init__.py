"""One module per `grader` verb, each with a keyword-only `main(...)` that returns an exit code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """A sentence naming the known word closest to `word` (" Did you mean 'x'?"), or "" if none is."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""
