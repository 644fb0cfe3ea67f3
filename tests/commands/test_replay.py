"""`grader replay`'s comparison of old and new scores, for hostile results (no engine needed)."""

from __future__ import annotations

import io

from rich.console import Console

from grader.commands import replay
from tests.results import SGR, dangerous_on_terminal, hostile_result


def test_a_hostile_result_compared_is_shown_as_text() -> None:
    old = hostile_result()
    new = hostile_result()
    new.reason = "gone \x1b]0;pwned\x07 [red]x[/] \x9b2J"
    new.image_id = "sha256:\x1b[2J"
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    assert replay._compare(old, new, console) == replay.REPRODUCED
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert not dangerous_on_terminal(output)
    text = SGR.sub("", output)
    assert "Now error: gone ␛]0;pwned␇ [red]x[/] \\x9b2J" in text
    assert "sha256:␛[2J now" in text
