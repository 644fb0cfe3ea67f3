"""The static HTML report an instructor opens: the class at a glance, and a page per student.

`report/index.html`: the gradebook (the CSV's numbers), each exercise's score
distribution as a bar histogram in plain CSS, and the most failed checks.
`report/<student>.html`: everything graded for one student, hidden checks
included. No scripts, nothing fetched.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from grader.assignment import Assignment
from grader.gradebook import Gradebook
from grader.outputs.feedback_html import exercise_section
from grader.outputs.html import page, score, text
from grader.result import Result

BINS = 10
MOST_FAILED = 10


@dataclass(frozen=True)
class Bin:
    """Students whose score fell in [low, high] (high included for the last bin)."""

    low: float
    high: float
    count: int


def histogram(scores: list[float], full: float, bins: int = BINS) -> list[Bin]:
    """Scores from 0 to `full` counted in `bins` equal bins (one bin when full is 0)."""
    if full <= 0:
        return [Bin(0, 0, len(scores))]
    width = full / bins
    counts = Counter(min(int(value / width), bins - 1) for value in scores)
    return [Bin(round(i * width, 2), round((i + 1) * width, 2), counts[i]) for i in range(bins)]


def most_failed(book: Gradebook, limit: int = MOST_FAILED) -> list[tuple[str, str, int, int]]:
    """(exercise, check, students failing it, students graded on it), most failed first."""
    failed: Counter[tuple[str, str]] = Counter()
    graded: Counter[tuple[str, str]] = Counter()
    for results in book.students.values():
        for result in results.values():
            for check in result.checks:
                graded[(result.exercise, check.name)] += 1
                failed[(result.exercise, check.name)] += not check.passed
    ranked = sorted((item for item in failed.items() if item[1]), key=lambda item: (-item[1], item[0]))
    return [(exercise, name, count, graded[(exercise, name)]) for (exercise, name), count in ranked[:limit]]


def write(book: Gradebook, chosen: Assignment, folder: Path) -> Path:
    """Write index.html and a page per student into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for student in book.students:
        (folder / f"{student}.html").write_text(student_page(book, student))
    index = folder / "index.html"
    index.write_text(index_page(book, chosen))
    return index


def index_page(book: Gradebook, chosen: Assignment) -> str:
    title = f"Gradebook: {chosen.name}"
    due = f"<p>Due {text(chosen.due)}.</p>" if chosen.due else ""
    body = [
        f"<h1>{text(title)}</h1>",
        due,
        f"<p>{len(book.students)} students, {len(book.exercises)} exercises.</p>",
        "<h2>Students</h2>",
        _gradebook_table(book),
        "<h2>Score distribution per exercise</h2>",
        *(_distribution(book, exercise) for exercise in book.exercises),
        "<h2>Most failed checks</h2>",
        _most_failed_table(book),
    ]
    return page(title, "\n".join(body))


def student_page(book: Gradebook, student: str) -> str:
    total, possible = book.total(student)
    results = sorted(book.students[student].values(), key=lambda r: r.exercise)
    missing = [e for e in book.exercises if e not in book.students[student]]
    body = [
        '<p><a href="index.html">← the class</a></p>',
        f"<h1>{text(student)}</h1>",
        f'<p>Total: <strong id="total">{score(total, possible)}</strong></p>',
        *(f"<p>{text(exercise)}: not handed in.</p>" for exercise in missing),
        *(exercise_section(result, for_student=False) for result in results),
    ]
    return page(f"{student}: {score(total, possible)}", "\n".join(body))


def _gradebook_table(book: Gradebook) -> str:
    head = "".join(f'<th class="number">{text(e)}</th>' for e in book.exercises)
    rows = []
    for student, results in book.students.items():
        cells = "".join(_score_cell(results.get(e)) for e in book.exercises)
        total, possible = book.total(student)
        link = f'<a href="{quote(student)}.html">{text(student)}</a>'
        sums = f'<td class="number">{total:g}</td><td class="number">{possible:g}</td>'
        rows.append(f"<tr><td>{link}</td>{cells}{sums}</tr>")
    return (
        f'<table id="gradebook"><thead><tr><th>student</th>{head}'
        '<th class="number">total</th><th class="number">possible</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _score_cell(result: Result | None) -> str:
    """The score alone (as in the CSV); a status other than graded shows in red, named on hover."""
    if result is None:
        return '<td class="number"></td>'
    if result.status == "graded":
        return f'<td class="number">{result.score:g}</td>'
    return f'<td class="number failed" title="{text(result.status)}">{result.score:g}</td>'


def _distribution(book: Gradebook, exercise: str) -> str:
    """One exercise's histogram of scores, with its numbers."""
    results = [r[exercise] for r in book.students.values() if exercise in r]
    scores = [r.score for r in results]
    full = book.points.get(exercise, 0)
    bins = histogram(scores, full)
    tallest = max((b.count for b in bins), default=0) or 1
    bars = "".join(
        f'<div class="bar" title="{b.count} scored {b.low:g} to {b.high:g}" data-count="{b.count}"'
        f' style="height: {100 * b.count / tallest:.0f}%"></div>'
        for b in bins
    )
    axis = "".join(f"<span>{b.low:g}</span>" for b in bins)
    summary = (
        f"{len(results)} of {len(book.students)} handed in"
        + (
            f", mean {statistics.mean(scores):.2f}, median {statistics.median(scores):g} of {full:g}"
            if scores
            else ""
        )
        + f", {sum(r.status != 'graded' for r in results)} not graded to the end (error or timeout)."
    )
    return (
        f'<section class="distribution" data-exercise="{text(exercise)}"><h3>{text(exercise)}</h3>'
        f'<p>{text(summary)}</p><div class="histogram">{bars}</div><div class="axis">{axis}</div></section>'
    )


def _most_failed_table(book: Gradebook) -> str:
    ranked = most_failed(book)
    if not ranked:
        return "<p>No check failed.</p>"
    rows = "".join(
        f"<tr><td>{text(exercise)}</td><td>{text(name.replace('_', ' '))}</td>"
        f'<td class="number">{failed}</td><td class="number">{graded}</td></tr>'
        for exercise, name, failed, graded in ranked
    )
    return (
        '<table id="most-failed"><thead><tr><th>exercise</th><th>check</th>'
        '<th class="number">failed</th><th class="number">of</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
