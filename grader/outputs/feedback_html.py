"""Per-student feedback as an HTML page: the same content as the Markdown feedback (the total, a
row per exercise of the assignment, each exercise handed in)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.batch.adjust import notes
from grader.batch.gradebook import ExerciseGrade, Grade, percent
from grader.model import failure
from grader.model.result import CheckResult, Result
from grader.outputs import feedback
from grader.outputs.html import inline, page, pre, score, text
from grader.text import last_lines


def document(grade: Grade) -> str:
    """One student's feedback page: the total and a row per exercise of the assignment, then each
    exercise handed in, in detail."""
    sections = [exercise_section(line.result, line=line) for line in grade.exercises if line.result]
    body = [f"<h1>Feedback for {text(grade.student)}</h1>", summary(grade), *sections]
    return page(f"Feedback for {grade.student}", "\n".join(body))


def write(grade: Grade, folder: Path) -> Path:
    """Write `folder/<student>.html`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{grade.student}.html"
    path.write_text(document(grade), encoding="utf-8")
    return path


def summary(grade: Grade) -> str:
    """The total and its percentage, a table row per exercise (points, weight, contribution,
    status) whose contributions add up to the total, and what was not handed in."""
    rows = "".join(_row(line) for line in grade.exercises)
    total = (
        f'<tr class="total"><th>Total</th><td></td><td class="number">{grade.possible:g}</td>'
        f'<td class="number"><strong>{grade.total:g}</strong></td><td>{grade.percent:g}%</td></tr>'
    )
    parts = [
        f'<p class="total">Total: <strong id="total">{score(grade.total, grade.possible)}</strong>'
        f" ({grade.percent:g}%), {len(grade.results)} of {len(grade.exercises)} exercises handed in.</p>",
        '<table class="grade"><thead><tr><th>Exercise</th><th class="number">Points</th>'
        '<th class="number">Weight</th><th class="number">Contribution</th><th>Status</th></tr></thead>'
        f"<tbody>{rows}{total}</tbody></table>",
        f"<p>{text(feedback.CONTRIBUTION)}</p>",
    ]
    if grade.missing:
        names = ", ".join(f"<code>{text(exercise)}</code>" for exercise in grade.missing)
        parts.append(f'<p class="missing"><strong>Not handed in</strong> (each counts 0): {names}.</p>')
    parts += [f'<p class="note">{text(note)}</p>' for note in notes(grade)]
    return "\n".join(parts)


def _row(line: ExerciseGrade) -> str:
    status = "failed" if line.status != "graded" else ""
    return (
        f"<tr><td><code>{text(line.exercise)}</code></td>"
        f'<td class="number">{line.points_text}</td>'
        f'<td class="number">{line.weight:g}</td><td class="number">{line.adds:g}</td>'
        f'<td class="{status}">{text(line.status)}</td></tr>'
    )


def exercise_section(result: Result, *, for_student: bool = True, line: ExerciseGrade | None = None) -> str:
    """One result as the student reads it (hidden checks show what they expect), or the instructor;
    `line` (from a gradebook) gives the exercise's full marks and weight."""
    shown = result.for_student() if for_student else result
    full = line.full if line is not None else result.max_score
    heading = f"{text(result.exercise)}: {score(result.score, full)}"
    if full:
        heading += f" ({percent(result.score, full):g}%)"
    if line is not None and line.weight != line.full:
        heading += f", {line.adds:g} of {line.weight:g} in the total"
    parts = [f"<h2>{heading}</h2>"]
    if shown.failure is not None:
        parts += ["<p><strong>What went wrong:</strong></p>", failure_html(shown)]
    elif shown.reason:
        parts += ["<p><strong>What went wrong:</strong></p>", pre(shown.reason)]
    checks = [_check(c, redacted=for_student and c.hidden) for c in shown.checks]
    parts.append('<ul class="checks">\n' + "\n".join(checks) + "\n</ul>")
    if shown.log and shown.failed and shown.failure is None:
        parts += [
            "<p><strong>The last lines of what it printed</strong> (build or setup.sh):</p>",
            pre(last_lines(shown.log, feedback.LOG_LINES)),
        ]
    if shown.advice:
        parts += ["<p><strong>Advice</strong> (no points lost):</p>", _list(text(a) for a in shown.advice)]
    return "<section>\n" + "\n".join(parts) + "\n</section>"


def failure_html(result: Result) -> str:
    """The failure block (grader.model.failure.block) in HTML: course words, printed output in `pre`."""
    parts = [
        pre(part) if kind == "block" else f"<p>{inline(part)}</p>" for kind, part in failure.block(result)
    ]
    return '<div class="failure">' + "\n".join(parts) + "</div>"


def _check(check: CheckResult, *, redacted: bool) -> str:
    name = text(check.name.replace("_", " "))
    if check.not_run:
        head = f"<strong>{name}</strong> (0/{check.max_points:g}): not run: {inline(check.found)}"
        return f'<li><span class="muted">⏭️</span> {head}</li>'
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
