"""Per-student feedback as an HTML page: the same content as the Markdown feedback."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader import feedback
from grader.outputs.html import inline, page, pre, score, text
from grader.result import CheckResult, Result
from grader.text import last_lines


def document(student: str, results: list[Result]) -> str:
    """One student's feedback page for all their graded exercises."""
    sections = [exercise_section(r) for r in sorted(results, key=lambda r: r.exercise)]
    return page(f"Feedback for {student}", f"<h1>Feedback for {text(student)}</h1>\n" + "\n".join(sections))


def write(student: str, results: list[Result], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{student}.html"
    path.write_text(document(student, results))
    return path


def exercise_section(result: Result, *, for_student: bool = True) -> str:
    """One result as the student reads it (hidden checks show what they expect), or the instructor."""
    shown = result.for_student() if for_student else result
    parts = [f"<h2>{text(result.exercise)}: {score(result.score, result.max_score)}</h2>"]
    if result.reason:
        parts += ["<p><strong>What went wrong:</strong></p>", pre(result.reason)]
    checks = [_check(c, redacted=for_student and c.hidden) for c in shown.checks]
    parts.append('<ul class="checks">\n' + "\n".join(checks) + "\n</ul>")
    if result.log and result.failed:
        parts += [
            "<p><strong>The last lines of what it printed</strong> (build or setup.sh):</p>",
            pre(last_lines(result.log, feedback.LOG_LINES)),
        ]
    if result.advice:
        parts += ["<p><strong>Advice</strong> (no points lost):</p>", _list(text(a) for a in result.advice)]
    return "<section>\n" + "\n".join(parts) + "\n</section>"


def _check(check: CheckResult, *, redacted: bool) -> str:
    name = text(check.name.replace("_", " "))
    if check.passed:
        head = f'<span class="passed">✅ <strong>{name}</strong></span>'
        return f"<li>{head} ({score(check.points, check.max_points)}): {inline(check.expected)}</li>"
    details = [f"Expected: {inline(check.expected)}"]
    if redacted:
        details.append(text(feedback.HIDDEN))
    else:
        details.append(f"Found: {pre(check.found or 'something else')}")
        if check.hint:
            details.append(f"Hint: {inline(check.hint)}")
        if check.reproduce:
            details.append(f"Try it yourself: <code>{text(check.reproduce)}</code>")
    hidden = ' <span class="muted">(hidden)</span>' if check.hidden else ""
    head = f'<span class="failed">❌ <strong>{name}</strong></span>{hidden} (0/{check.max_points:g})'
    return f"<li>{head}\n{_list(details)}</li>"


def _list(items: Iterable[str]) -> str:
    """A bullet list of items that are already HTML."""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
