"""Results the output tests share: a hidden check whose secrets no student may read, and a hostile
result whose every text a submission controls tries to break out of where it is shown."""

from __future__ import annotations

import io
import re

from markdown_it import MarkdownIt
from rich.console import Console

from grader.batch.gradebook import Grade, Gradebook
from grader.model.result import CheckResult, Result

SECRETS = ("SECRET-FOUND", "SECRET-HINT", "SECRET-COMMAND")  # none may reach a student
HIDDEN_EXPECTED = "It keeps a secret."


def hidden_check(points: float = 2, *, passed: bool = False) -> CheckResult:
    """A hidden check: it counts, but only its expectation is shown, never what it found or hints."""
    found, hint, command = SECRETS
    return CheckResult(
        "secret",
        points,
        passed=passed,
        expected=HIDDEN_EXPECTED,
        found=found,
        hint=hint,
        reproduce=command,
        hidden=True,
    )


# -- a hostile submission: what its build printed, what its checks found, its students' names --

TITLE = "\x1b]0;pwned\x07"  # OSC 0: the terminal window's title
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: the clipboard
CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
FORGED_CR = "✗ 0/10\r✓ 10/10"  # a carriage return prints the good verdict over the bad one
FORGED_UP = "\x1b[1A\x1b[2K✓ 10/10 passed"  # cursor up a line, erase it, write a verdict
C1_CSI = "\x9b2J"  # the one-byte CSI (U+009B)
BIDI = "\u202e01/0 ✓"  # a right-to-left override turns what follows around
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
LINK = "[click](javascript:alert(1)) <javascript:alert(2)>"
BACKTICKS = "a ` b `` c ```` d"
HOSTILE_LINES = [TITLE, CLIPBOARD, CLEAR, FORGED_CR, FORGED_UP, C1_CSI, BIDI, HTML, LINK, BACKTICKS]
HOSTILE = "\n".join([*HOSTILE_LINES, "| a | b |", "# Full marks", "```", "**10/10**", "$x$"])
HOSTILE_STUDENTS = ('=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "\t=1", "＝1+1")
# What must never reach a reader: ESC, BEL, CR, NUL, C1 controls, bidi overrides.
DANGEROUS = ("\x1b", "\x07", "\r", "\x00", "\x9b", "\x85", "\u202e", "\u2066")


def hostile_result(exercise: str = "dockerfiles.hello") -> Result:
    """A failed result in which everything a submission controls is hostile (`HOSTILE`)."""
    return Result(
        exercise,
        "s",
        status="error",
        reason=f"The build failed:\n{HOSTILE}",
        checks=[
            CheckResult(
                "prints_hello",
                3,
                passed=False,
                expected="It prints `Hello container`.",
                found=f"it printed {FORGED_UP}",
                hint="Use CMD.",
                reproduce=f"docker run --rm {BACKTICKS} {TITLE}",
            ),
            CheckResult("output", 2, passed=False, expected="It prints a table.", found=HOSTILE),
            CheckResult(
                "one_line", 1, passed=False, expected="One line.", found=f"{HTML} {LINK} | x | {C1_CSI}"
            ),
        ],
        log=f"step 1\n{HOSTILE}\n",
        advice=[f"Line 2: `{BACKTICKS}` {HTML} {LINK} {TITLE}", "Refused: `--privileged` is not allowed."],
    )


def dangerous_in(text: str) -> list[str]:
    """The dangerous characters in `text` (none, for a safe output)."""
    return [repr(char) for char in DANGEROUS if char in text]


def markdown_html(markdown: str) -> str:
    """`markdown` rendered as a permissive renderer would: CommonMark with raw HTML on, GFM tables."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


def markup_from_student(html: str) -> list[str]:
    """What in rendered HTML could only come from a student's text being obeyed, not shown."""
    obeyed = (
        "<script",
        "<img",
        "<a ",
        'href="javascript',
        "<table",
        "<h1>Full",
        "<strong>10",
        "<em>",
        "<del>",
    )
    return [tag for tag in obeyed if tag in html]


SGR = re.compile(r"\x1b\[[0-9;]*m")  # colours and bold: the only escapes rich itself writes here


def terminal_output(*renderables: object, width: int = 200) -> str:
    """What rich writes to a colour terminal for `renderables`."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=width)
    for renderable in renderables:
        console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def dangerous_on_terminal(output: str) -> list[str]:
    """The dangerous characters in a terminal's output once rich's own colour escapes are taken out."""
    return dangerous_in(SGR.sub("", output))


# -- a student who handed in 3 of the 7 exercises of an assignment whose weights differ --

WEIGHTS = {  # the demo class's assignment: a total out of 100
    "dockerfiles.hello": 10.0,
    "dockerfiles.cli-tool": 20.0,
    "dockerfiles.webserver": 20.0,
    "dockerfiles.multistage": 20.0,
    "run-flow.commit": 10.0,
    "networks.cats-and-dogs": 10.0,
    "volumes.shared-data": 10.0,
}
MIA_HANDED_IN = ("dockerfiles.hello", "dockerfiles.webserver", "networks.cats-and-dogs")
MIA_MISSING = tuple(exercise for exercise in WEIGHTS if exercise not in MIA_HANDED_IN)
MIA_TOTAL, MIA_PERCENT = 28.29, 28.3  # 10 + 20 x 7/10 + 10 x 3/7 (4.29)


def scored(
    exercise: str, points: list[tuple[float, bool]], *, hidden: int = -1, duration_s: float = 1
) -> Result:
    """A graded result with a check per (points, passed); the check at index `hidden` is hidden."""
    checks = [
        CheckResult(
            f"check_{n}",
            most,
            passed=passed,
            expected=f"It does thing {n}.",
            found="" if passed else f"it did not do thing {n}",
            hint=f"Hint {n}.",
            reproduce=f"docker run --rm --name thing-{n} busybox echo {n}",
            hidden=n == hidden,
            duration_s=0.25,
        )
        for n, (most, passed) in enumerate(points)
    ]
    return Result(exercise, f"mia/{exercise}", checks=checks, duration_s=duration_s)


def grade_of(student: str, results: list[Result]) -> Grade:
    """The student's grade of these results, each worth its own points (no assignment)."""
    return Gradebook.of([(student, result) for result in results]).grade(student)


def three_of_seven() -> Gradebook:
    """mia handed in 3 of 7 exercises: hello 10/10 (adds 10 of 10), webserver 7/10 (14 of 20),
    cats-and-dogs 3/7 (4.29 of 10); ben handed in cli-tool, so its maximum, 10, is known."""
    graded = [
        ("mia", scored("dockerfiles.hello", [(3, True), (7, True)])),
        ("mia", scored("dockerfiles.webserver", [(4, True), (3, False), (3, True)], hidden=1)),
        ("mia", scored("networks.cats-and-dogs", [(1, True), (2, True), (4, False)])),
        ("ben", scored("dockerfiles.cli-tool", [(10, True)])),
    ]
    return Gradebook.of(graded, weights=WEIGHTS)
