"""The exit codes of `grader`: the one table of them, and what each means for each command.

The commands return these; the `grader` group turns a command's return value, or the branch of
the error tree (grader.errors) that stopped it, into the process's exit code, and shows each
command's row of this table in its `--help`.
"""

from __future__ import annotations

import textwrap
from enum import IntEnum

from grader import errors


class Exit(IntEnum):
    """Every exit code `grader` uses."""

    OK = 0  # done: graded (whatever the score), reproduced, ready
    FAILED = 1  # it could not be done: no engine, grading could not happen, a step failed
    USAGE = 2  # bad input: an unknown exercise or topic, a bad option or file (click's own code too)
    INTERNAL = 70  # the grader failed: a bug, its traceback in a log file (sysexits' EX_SOFTWARE)
    INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM (128 + SIGINT), what was done is kept


WRAP = 60  # a meaning's width: with the code and click's indent, a line fits 80 columns
_STOPPED = "stopped by Ctrl-C or SIGTERM"
_BAD_INPUT = "a bad option or argument"
_NO_ENGINE = "the Docker engine is not available"
_INTERNAL = "the grader failed (a bug): the path of its log is printed"

BY_BRANCH: dict[type[errors.GraderError], Exit] = {  # an error of the tree that stops a command
    errors.InputError: Exit.USAGE,
    errors.SetupError: Exit.FAILED,
    errors.SubmissionError: Exit.FAILED,
    errors.Interrupted: Exit.INTERRUPTED,
    errors.GraderError: Exit.FAILED,  # one of no branch
}

DEFAULT = {
    Exit.OK: "done",
    Exit.FAILED: "it failed, e.g. " + _NO_ENGINE,
    Exit.USAGE: _BAD_INPUT,
    Exit.INTERRUPTED: _STOPPED,
}

BY_COMMAND: dict[str, dict[Exit, str]] = {
    "check": {
        Exit.OK: "graded, whatever the score",
        Exit.FAILED: "grading could not happen (no engine, no sandbox)",
        Exit.USAGE: "an unknown exercise, not a live one, " + _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED,
    },
    "exercises": {Exit.OK: "listed", Exit.USAGE: _BAD_INPUT},
    "quiz": {
        Exit.OK: "done",
        Exit.USAGE: "an unknown topic, a bad quiz file, " + _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED,
    },
    "notebooks": {
        Exit.OK: "made (or kept)",
        Exit.FAILED: "nbgrader could not make one",
        Exit.USAGE: _BAD_INPUT,
    },
    "batch": {
        Exit.OK: "every submission graded or kept, outputs written",
        Exit.FAILED: "the engine stopped answering longer than --engine-wait, "
        "or the --nbgrader export failed",
        Exit.USAGE: "an unknown exercise or student, an assignment file or "
        "folder that does not fit, " + _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED + "; the results so far are kept",
    },
    "autograde": {
        Exit.OK: "every step worked",
        Exit.FAILED: "a step failed: the images, a notebook, the feedback or the export",
        Exit.USAGE: "an unknown student to regrade, " + _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED + "; what was autograded is kept",
    },
    "replay": {
        Exit.OK: "the grade is reproduced, check by check",
        Exit.FAILED: "the grade differs (or no engine)",
        Exit.USAGE: "it cannot be replayed: not a stored result, its files changed",
        Exit.INTERRUPTED: _STOPPED,
    },
    "demo": {
        Exit.OK: "the sample class is graded",
        Exit.FAILED: "the engine stopped answering",
        Exit.USAGE: _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED + "; the results so far are kept",
    },
    "doctor": {Exit.OK: "ready", Exit.FAILED: "something required is missing", Exit.USAGE: _BAD_INPUT},
    "images": {
        Exit.OK: "done",
        Exit.FAILED: "an image is not available, or no engine",
        Exit.USAGE: _BAD_INPUT,
    },
    "images prepare": {
        Exit.OK: "every image is available",
        Exit.FAILED: "an image is unknown or could not be made, or no engine",
        Exit.USAGE: _BAD_INPUT,
        Exit.INTERRUPTED: _STOPPED,
    },
    "images list": {Exit.OK: "listed", Exit.FAILED: _NO_ENGINE, Exit.USAGE: _BAD_INPUT},
    "gc": {Exit.OK: "what was left is removed", Exit.FAILED: _NO_ENGINE, Exit.USAGE: _BAD_INPUT},
}


def meanings(command: str) -> dict[Exit, str]:
    """What each exit code of `command` (e.g. "images prepare") means."""
    return dict(sorted({**BY_COMMAND.get(command, DEFAULT), Exit.INTERNAL: _INTERNAL}.items()))


def of_error(error: errors.GraderError) -> Exit:
    """The exit code of a command that `error` stopped: its branch's."""
    return BY_BRANCH[errors.branch(error)]


def epilog(command: str) -> str:
    """The "Exit codes" paragraph of `command`'s --help: kept as written (click's \\b), so wrapped
    here to fit 80 columns."""
    rows = []
    for code, meaning in meanings(command).items():
        lines = textwrap.wrap(meaning, width=WRAP)
        rows += [f"  {int(code):<4} {lines[0]}", *(f"{'':7}{line}" for line in lines[1:])]
    return "\n".join(["\b", "Exit codes:", *rows])
