"""The console the `grader` commands print to: rich on a terminal, plain text when piped.

On a terminal, tables and colours fit its width. Piped or redirected (a file, `less`,
a CI log), rich would assume 80 columns and cut what does not fit (`40/1…`), so the
console is as wide as any line, without colour; what it prints there (the gradebook,
`grader check`'s report) is plain lines, never wrapped nor cut.
"""

from __future__ import annotations

from rich.console import Console

PLAIN_WIDTH = 100_000  # wider than any line a command prints: nothing is wrapped or cut


def make(*, stderr: bool = False, quiet: bool = False) -> Console:
    """A console for a command: a terminal's own, or a plain one as wide as any line when piped."""
    console = Console(stderr=stderr, quiet=quiet)
    if console.is_terminal:
        return console
    return Console(
        stderr=stderr, quiet=quiet, width=PLAIN_WIDTH, color_system=None, highlight=False, emoji=False
    )
