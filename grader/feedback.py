"""Per-student feedback files in Markdown: what passed, what failed, what to try."""

from __future__ import annotations

from pathlib import Path

from grader.result import CheckResult, Result
from grader.text import last_lines

LOG_LINES = 15
HIDDEN = "A hidden check: it shows what it expects, never what it found."


def markdown(student: str, results: list[Result]) -> str:
    """One student's feedback for all their graded exercises."""
    lines = [f"# Feedback for {student}", ""]
    for result in sorted(results, key=lambda r: r.exercise):
        lines.append(exercise_markdown(result))
    return "\n".join(lines).rstrip() + "\n"


def write(student: str, results: list[Result], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{student}.md"
    path.write_text(markdown(student, results))
    return path


def exercise_markdown(result: Result) -> str:
    """The feedback for one result: its checks, what went wrong, its output's end, advice."""
    result = result.for_student()
    lines = [f"## {result.exercise}: {result.score:g}/{result.max_score:g}", ""]
    if result.reason:
        lines += ["**What went wrong:**", "", *_fenced(result.reason), ""]
    for check in result.checks:
        lines += _check(check)
    if result.log and result.failed:
        lines += [
            "",
            "**The last lines of what it printed** (build or setup.sh):",
            "",
            *_fenced(last_lines(result.log, LOG_LINES)),
        ]
    if result.advice:
        lines += ["", "**Advice** (no points lost):", ""]
        lines += [f"- {advice}" for advice in result.advice]
    return "\n".join(lines) + "\n"


def _fenced(text: str) -> list[str]:
    """`text` in a code block whose fence no line of it can close."""
    fence = "`" * 3
    while fence in text:
        fence += "`"
    return [fence, text, fence]


def _check(check: CheckResult) -> list[str]:
    name = check.name.replace("_", " ")
    if check.passed:
        return [f"- ✅ **{name}** ({check.points:g}/{check.max_points:g}): {check.expected}"]
    lines = [f"- ❌ **{name}** (0/{check.max_points:g})", f"  - Expected: {check.expected}"]
    if check.hidden:
        return [*lines, f"  - {HIDDEN}"]
    lines.append(f"  - Found: {_indent(check.found or 'something else')}")
    if check.hint:
        lines.append(f"  - Hint: {check.hint}")
    if check.reproduce:
        lines.append(f"  - Try it yourself: `{check.reproduce}`")
    return lines


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")
