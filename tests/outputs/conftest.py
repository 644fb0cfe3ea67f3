"""A small graded class shared by the output tests: right, wrong, hostile, hidden, unfinished."""

from __future__ import annotations

import pytest

from grader.batch.gradebook import Gradebook
from grader.model.result import CheckResult, Result
from tests.results import hidden_check, hostile_result

ATTACK = '<script>alert("x")</script>\x1b[31m\x00'
HELLO, WEB = "dockerfiles.hello", "dockerfiles.webserver"


def _hello(passed: bool, found: str = "it printed 'bye'") -> Result:
    return Result(
        HELLO,
        "s",
        checks=[
            CheckResult(
                "prints_hello", 3, passed=passed, expected="It prints hello.", found=found, hint="Use CMD."
            ),
            CheckResult("small_image", 2, passed=True, expected="It is small."),
            hidden_check(1, passed=passed),
        ],
        log="step 1\nERROR: boom\n",
        duration_s=1.5,
    )


@pytest.fixture
def book() -> Gradebook:
    """ana: full marks and a web timeout; ben: a failed hello with hostile output; chloe: nothing."""
    web_timeout = Result(
        WEB,
        "s",
        status="timeout",
        reason="The build did not finish within 60 s.\nIt was stopped.",
        checks=[CheckResult("serves", 4, passed=False, expected="It serves.", found="no image")],
        duration_s=60.2,
    )
    graded = [
        ("ana", _hello(True)),
        ("ana", web_timeout),
        ("ben", _hello(False, found=f"it printed {ATTACK}")),
        ("ben", Result(WEB, "s", status="error", reason="The sandbox did not start.")),
    ]
    return Gradebook.of(graded, weights={HELLO: 10, WEB: None}, students=["chloe"])


# Students whose folder names are hostile (a folder name cannot hold "/", so no URL in them).
HOSTILE_NAMES = ("=1+1", "@SUM(1)", "+1", "-1", "evil\x1b]0;pwned\x07\x1b[2J", "<img src=x onerror=alert(1)>")


@pytest.fixture
def hostile_book() -> Gradebook:
    """Every student hostile by name, every result hostile in what it printed and what was found."""
    graded = [(name, hostile_result(exercise)) for name in HOSTILE_NAMES for exercise in (HELLO, WEB)]
    return Gradebook.of(graded, weights={HELLO: 10, WEB: None})
