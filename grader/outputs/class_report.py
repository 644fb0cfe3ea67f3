"""The static HTML report an instructor opens: the class at a glance, and a page per student.

`report/index.html`: the gradebook (totals, percentages and status first, each exercise headed
with its maximum and weight, a class summary row, a legend of the statuses), who needs attention
(errors, timeouts, zeros, missing and late work), each check's pass rate (failed and not run apart,
with links to the students), each exercise's score histogram with its counts, and the class sorted
by total. `report/<student>.html`: everything graded for one student (`student_report`). No
scripts, nothing fetched: the page's policy forbids both.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path

from grader.batch.assignment import Assignment
from grader.batch.gradebook import STATUSES, ExerciseGrade, Grade, Gradebook
from grader.outputs import report_stats, student_report
from grader.outputs.gradebook_csv import column
from grader.outputs.html import page, text
from grader.outputs.report_stats import Bin, CheckRate, Concern, histogram
from grader.outputs.student_report import Records, href

__all__ = ["Bin", "histogram", "index_page", "write"]


def write(book: Gradebook, chosen: Assignment, folder: Path, records: Records | None = None) -> Path:
    """Write index.html and a page per student into `folder` (the batch's `report/`)."""
    folder.mkdir(parents=True, exist_ok=True)
    records = records or {}
    for student in book.students:
        content = student_report.student_page(book, student, records, folder.parent)
        (folder / f"{student}.html").write_text(content, encoding="utf-8")
    index = folder / "index.html"
    index.write_text(index_page(book, chosen), encoding="utf-8")
    return index


def index_page(book: Gradebook, chosen: Assignment) -> str:
    title = f"Gradebook: {chosen.name}"
    grades = [book.grade(student) for student in book.students]
    body = [
        f"<h1>{text(title)}</h1>",
        _facts(book, chosen),
        '<nav><a href="#gradebook">Gradebook</a> · <a href="#attention">Needs attention</a> ·'
        ' <a href="#checks">Checks</a> · <a href="#distributions">Distributions</a> ·'
        ' <a href="#by-total">By total</a></nav>',
        "<h2>Students</h2>",
        _gradebook_table(book, grades),
        _legend(),
        '<h2 id="attention">Needs attention</h2>',
        _attention(report_stats.concerns(book)),
        "<h2>Each check</h2>",
        _checks_table(report_stats.check_rates(book)),
        '<h2 id="distributions">Score distributions</h2>',
        _distribution("total", "Total (percent)", [g.percent for g in grades], 100),
        *(_exercise_distribution(book, grades, exercise) for exercise in book.exercises),
        '<h2 id="by-total">The class by total</h2>',
        _by_total(grades),
    ]
    return page(title, "\n".join(body), wide=True)


def _facts(book: Gradebook, chosen: Assignment) -> str:
    facts = [f"{len(book.students)} students, {len(book.exercises)} exercises."]
    if chosen.due:
        facts.append(f"Due {chosen.due}.")
    if chosen.late_penalty:
        penalty = chosen.late_penalty
        facts.append(f"Late work loses {penalty.per_day:g}% per started day, at most {penalty.max:g}%.")
    if chosen.extensions:
        facts.append(f"{len(chosen.extensions)} extension(s).")
    if chosen.release_hints:
        shown = "released" if chosen.released() else "held back from students"
        facts.append(f"Hints and hidden checks' findings: {shown} (release {chosen.release_hints}).")
    if chosen.overrides:
        facts.append(f"{len(chosen.overrides)} override(s) applied.")
    return f'<p class="facts">{text(" ".join(facts))}</p>'


def _gradebook_table(book: Gradebook, grades: list[Grade]) -> str:
    """Student, total, percent, status, late, then each exercise headed with its maximum and weight;
    a class summary row last."""
    heads = "".join(_exercise_head(book, exercise) for exercise in book.exercises)
    head = (
        '<tr><th>Student</th><th class="number total">Total</th><th class="number">%</th>'
        f'<th>Status</th><th class="number">Late (days)</th>{heads}</tr>'
    )
    rows = "".join(_student_row(grade) for grade in grades)
    return (
        f'<div class="scroll"><table id="gradebook"><thead>{head}</thead><tbody>{rows}</tbody>'
        f"<tfoot>{_summary_row(book, grades)}</tfoot></table></div>"
    )


def _exercise_head(book: Gradebook, exercise: str) -> str:
    full, weight = book.points.get(exercise, 0), book.worth(exercise)
    return (
        f'<th class="number exercise" title="{text(column(book, exercise))}">'
        f'{_breakable(exercise)}<span class="limits"><span>max {full:g}</span>'
        f" <span>weight {weight:g}</span></span></th>"
    )


def _breakable(name: str) -> str:
    """A name, escaped, that may break after its dots and hyphens (and nowhere else)."""
    return text(name).replace(".", ".<wbr>").replace("-", "-<wbr>")


def _student_row(grade: Grade) -> str:
    link = f'<a href="{href(grade.student + ".html")}">{text(grade.student)}</a>'
    cells = "".join(_exercise_cell(line) for line in grade.exercises)
    late = str(grade.late_days) if grade.late_days else ""
    return (
        f'<tr data-student="{text(grade.student)}"><td>{link}</td>'
        f'<td class="number total">{grade.total:g}/{grade.possible:g}</td>'
        f'<td class="number percent">{grade.percent:g}</td>'
        f'<td class="status status-{_slug(grade.status)}">{text(grade.status)}</td>'
        f'<td class="number late">{late}</td>{cells}</tr>'
    )


def _exercise_cell(line: ExerciseGrade) -> str:
    """An exercise's points; a status other than graded, or an adjustment, is said in words too."""
    if line.result is None and not line.adjusted:
        return '<td class="number muted">–</td>'
    marks: list[str] = []
    if line.result is not None and line.result.status != "graded":
        marks.append(line.result.status)
    if line.adjusted:
        marks.append("adjusted")
    note = "".join(f' <span class="mark">{text(mark)}</span>' for mark in marks)
    failed = " failed" if line.result is not None and line.result.status != "graded" else ""
    return f'<td class="number{failed}">{line.points:g}{note}</td>'


def _summary_row(book: Gradebook, grades: list[Grade]) -> str:
    """The class's means: total, percent, and each exercise's points among those who handed it in."""
    if not grades:
        return ""
    statuses = "<br>".join(f"{n} {text(s)}" for s, n in _counts(g.status for g in grades).items())
    late = sum(1 for g in grades if g.late_days)
    cells = "".join(_mean_cell(book, grades, exercise) for exercise in book.exercises)
    return (
        f'<tr class="summary"><th>Class mean ({len(grades)})</th>'
        f'<td class="number total">{statistics.mean(g.total for g in grades):.2f}/{grades[0].possible:g}</td>'
        f'<td class="number">{statistics.mean(g.percent for g in grades):.1f}</td>'
        f'<td>{statuses}</td><td class="number">{late or ""}</td>{cells}</tr>'
    )


def _mean_cell(book: Gradebook, grades: list[Grade], exercise: str) -> str:
    points = [
        line.points for g in grades for line in g.exercises if line.exercise == exercise and line.result
    ]
    mean = f"{statistics.mean(points):.2f}" if points else "–"
    return f'<td class="number" title="{len(points)} handed in">{mean}</td>'


def _counts(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _legend() -> str:
    items = "".join(
        f'<li><span class="status status-{_slug(status)}">{text(status)}</span>: {text(meaning)}</li>'
        for status, meaning in STATUSES.items()
    )
    marks = (
        "<li><strong>error</strong>, <strong>timeout</strong> beside points: that exercise's grading did"
        " not finish; <strong>adjusted</strong>: an override or a late penalty changed its points"
        " (see the student's page); – : not handed in.</li>"
    )
    return f'<details open class="legend"><summary>Legend</summary><ul>{items}{marks}</ul></details>'


def _slug(status: str) -> str:
    return status.replace(" ", "-")


def _attention(concerns: list[Concern]) -> str:
    if not concerns:
        return "<p>Nothing: every submission was graded to the end, on time, above zero.</p>"
    rows = "".join(
        f'<tr class="concern-{c.kind}"><td>{text(c.kind)}</td>'
        f'<td><a href="{href(c.student + ".html")}">{text(c.student)}</a></td><td>{text(c.what)}</td></tr>'
        for c in concerns
    )
    return (
        '<table id="needs-attention"><thead><tr><th>What</th><th>Student</th><th>Details</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _checks_table(rates: list[CheckRate]) -> str:
    if not rates:
        return "<p>No check was run.</p>"
    rows = "".join(
        f"<tr><td>{text(r.exercise)}</td><td>{text(r.check.replace('_', ' '))}</td>"
        f'<td class="number">{r.points:g}</td><td class="number rate">{r.rate:g}%</td>'
        f'<td class="number">{len(r.passed)}</td><td class="failed-by">{_students(r.failed)}</td>'
        f'<td class="not-run">{_students(r.not_run)}</td></tr>'
        for r in rates
    )
    return (
        '<table id="checks"><thead><tr><th>Exercise</th><th>Check</th><th class="number">Points</th>'
        '<th class="number">Pass rate</th><th class="number">Passed</th><th>Failed</th>'
        "<th>Not run (grading did not finish)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _students(names: list[str]) -> str:
    if not names:
        return '<span class="muted">0</span>'
    links = ", ".join(f'<a href="{href(name + ".html")}">{text(name)}</a>' for name in names)
    return f'<span class="count">{len(names)}</span>: {links}'


def _exercise_distribution(book: Gradebook, grades: list[Grade], exercise: str) -> str:
    lines = [line for g in grades for line in g.exercises if line.exercise == exercise and line.result]
    full = book.points.get(exercise, 0)
    unfinished = sum(line.status != "graded" for line in lines)
    extra = f", {unfinished} not graded to the end (error or timeout)" if unfinished else ""
    return _distribution(exercise, exercise, [line.points for line in lines], full, extra, len(grades))


def _distribution(
    key: str, title: str, scores: list[float], full: float, extra: str = "", students: int = 0
) -> str:
    """A histogram: a bar per bin, its count written on it, its range under it."""
    bins = histogram(scores, full)
    tallest = max((b.count for b in bins), default=0) or 1
    bars = "".join(
        f'<div class="bin"><div class="bar" title="{text(b.words)}" data-count="{b.count}"'
        f' data-low="{b.low:g}" data-high="{b.high:g}" style="height: {100 * b.count / tallest:.0f}%">'
        f'<span class="count">{b.count}</span></div></div>'
        for b in bins
    )
    axis = "".join(f"<span>{text(b.label)}</span>" for b in bins)
    handed = f"{len(scores)} of {students} handed in" if students else f"{len(scores)} students"
    stats = (
        f", mean {statistics.mean(scores):.2f}, median {statistics.median(scores):g} of {full:g}"
        if scores
        else ""
    )
    return (
        f'<section class="distribution" data-exercise="{text(key)}"><h3>{text(title)}</h3>'
        f"<p>{text(handed + stats + extra)}.</p>"
        f'<div class="histogram">{bars}</div><div class="axis">{axis}</div></section>'
    )


def _by_total(grades: list[Grade]) -> str:
    ranked = sorted(grades, key=lambda g: (-g.total, g.student))
    rows = "".join(
        f'<tr><td class="number">{rank}</td>'
        f'<td><a href="{href(g.student + ".html")}">{text(g.student)}</a></td>'
        f'<td class="number">{g.total:g}/{g.possible:g}</td><td class="number">{g.percent:g}</td>'
        f"<td>{text(g.status)}</td></tr>"
        for rank, g in enumerate(ranked, 1)
    )
    return (
        '<table id="by-total-table"><thead><tr><th class="number">#</th><th>Student</th>'
        '<th class="number">Total</th><th class="number">%</th><th>Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
