"""What `grader` does with an error that stopped a command: the one place that turns it into a
message on stderr and an exit code (by its branch of grader.errors), never a traceback.

An exception outside the tree is a bug of the grader: the user reads that the grader failed and
to tell their instructor, and the path of a log file that holds the traceback for the instructor.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from grader import __version__
from grader.errors import GraderError
from grader.exit_codes import Exit, of_error

LOG_DIR_ENV = "GRADER_LOG_DIR"  # where internal errors' tracebacks go (default: a state folder)
INTERNAL = "The grader failed: this is a bug of the grader, not a problem of your work. Tell your instructor."
CLICKS_OWN = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def run(command: Callable[[], Any]) -> int:
    """Run `command`; its exit code: what it returned, or what stopped it (said on stderr)."""
    import docker.errors

    try:
        return int(command() or Exit.OK)
    except CLICKS_OWN:
        raise  # click says these and exits with its own codes
    except KeyboardInterrupt:
        say("\nAborted!")
        return Exit.INTERRUPTED
    except GraderError as error:
        say(message(error))
        return of_error(error)
    except docker.errors.DockerException as refused:  # the engine's own words, e.g. a full disk
        say(f"The Docker engine refused: {refused}")
        return Exit.FAILED
    except Exception as bug:
        say(f"{INTERNAL}\n{_logged(bug)}")
        return Exit.INTERNAL


def message(error: GraderError) -> str:
    """What the user reads of `error`: its summary and its message (its kind's docstring if none)."""
    text = str(error) or (type(error).__doc__ or type(error).__name__).strip().split("\n")[0]
    return " ".join(filter(None, [error.summary, text]))


def say(text: str) -> None:
    """An error on stderr, red on a terminal; it may quote an engine's or a student's words."""
    from grader.safe_text import for_terminal

    click.secho(for_terminal(text), fg="red", err=True)


def log_dir() -> Path:
    """Where the tracebacks of internal errors go: $GRADER_LOG_DIR, else the user's state folder."""
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV])
    state_home = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state_home) / "docker-course" / "grader-logs"


def _logged(bug: Exception) -> str:
    """Write `bug`'s traceback to a new log file (the temporary folder if the log folder cannot be
    written); a sentence for the instructor with its path."""
    text = "".join(
        [f"grader {__version__}\ncommand: {' '.join(sys.argv)}\n\n", *traceback.format_exception(bug)]
    )
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, name = tempfile.mkstemp(
                prefix=time.strftime("error-%Y%m%d-%H%M%S-"), suffix=".log", dir=folder
            )
            with os.fdopen(handle, "w", encoding="utf-8") as log:
                log.write(text)
        except OSError:
            continue
        return f"For the instructor: what failed, with its traceback, is in {name}"
    return f"For the instructor: no log could be written; the error was {type(bug).__name__}."
