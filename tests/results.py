"""Results the output tests share: a hidden check whose secrets no student may read."""

from __future__ import annotations

from grader.result import CheckResult

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
