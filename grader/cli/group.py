"""The `grader` command group: its commands by audience, each command's exit codes in its --help,
and the one place where what a command returns or raises becomes the exit code."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import click

from grader.cli import failures
from grader.exit_codes import epilog

SECTIONS = {  # `grader --help` lists the commands by audience; any other under "Other commands"
    "For students": ("check", "exercises", "quiz", "notebooks", "lab"),
    "For instructors": ("batch", "autograde", "replay", "demo", "worker", "cluster"),
    "For this machine": ("doctor", "images", "gc"),
}


class Grader(click.Group):
    """The command group: lists its commands by audience, shows each command's exit codes in its
    --help, and makes what a command returns the exit code (the one place that does), known
    failures one clear message on stderr, never a traceback."""

    group_class = type  # `images` is a Grader too
    path: tuple[str, ...] = ()  # a nested group's place: ("images",)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        path = (*self.path, name or cmd.name or "")
        if isinstance(cmd, Grader):
            cmd.path = path
        cmd.epilog = "\n\n".join(filter(None, [cmd.epilog, epilog(" ".join(path))]))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its summary in full (wrapped, never cut), by audience at the top."""
        shown = {name: self.get_command(ctx, name) for name in self.list_commands(ctx)}
        rows = {
            name: cmd.get_short_help_str(limit=1000) for name, cmd in shown.items() if cmd and not cmd.hidden
        }
        sections = {} if self.path else SECTIONS
        listed = {name for names in sections.values() for name in names}
        other = tuple(name for name in rows if name not in listed)
        titles = [*sections.items(), ("Other commands" if sections else "Commands", other)]
        width = max(map(len, rows), default=0)  # one column for every section
        for title, names in titles:
            if any(name in rows for name in names):
                with formatter.section(title):
                    formatter.write_dl([(name.ljust(width), rows[name]) for name in names if name in rows])

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.parent is not None:
            return super().invoke(ctx)
        ctx.exit(failures.run(lambda: super(Grader, self).invoke(ctx)))


def interrupt_on_sigterm() -> None:
    """Let SIGTERM (kill, a batch system, a CI timeout) clean up like Ctrl-C: sandboxes get removed.

    Left alone, Python dies on SIGTERM without running `finally` blocks or context exits.
    An ignored SIGTERM (or one a host program handles) is left as it is.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)
