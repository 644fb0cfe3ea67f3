"""Gradescope's autograder results (results.json), per student, for courses graded inside Gradescope.

The format: {"score", "execution_time", "output", "visibility", "tests": [{"name",
"score", "max_score", "status", "output", "visibility"}]}. The score is the
gradebook's (weighted) total, and the tests add up to it: each check is a test
whose points are scaled by its exercise's weight (weight x points / the
exercise's maximum), an unfinished grading is a test worth what its checks
could not earn, and an exercise not handed in is a test scoring 0 of its weight.
The top-level output opens with the total and the percentage, then a table per
exercise (points, weight, contribution, status).

Hidden checks show only what they expect, and only after the due date (Gradescope's
own `after_due_date` visibility).

Outputs are Markdown (`output_format` and `test_output_format` say so) in which
whatever a submission controls is escaped or fenced; test names are plain text
with their control characters made visible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.batch.gradebook import ExerciseGrade, Gradebook
from grader.model.result import CheckResult, Result
from grader.outputs import feedback
from grader.outputs.feedback import found_markdown
from grader.safe_text import markdown_block, markdown_code, markdown_inline, markdown_text, terminal_line

VISIBLE = "visible"
AFTER_DUE_DATE = "after_due_date"  # Gradescope shows such a test once the due date has passed
MARKDOWN = "md"


def results_json(book: Gradebook, student: str) -> dict[str, Any]:
    """One student's results.json content: its tests' scores add up to its score."""
    grade = book.grade(student)
    return {
        "score": grade.total,
        "execution_time": round(sum(result.duration_s for result in grade.results)),
        "output": "\n".join(feedback.summary_markdown(grade)),
        "output_format": MARKDOWN,
        "test_output_format": MARKDOWN,
        "test_name_format": "text",
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
        "tests": [test for line in grade.exercises for test in tests(line)],
    }


def write(book: Gradebook, student: str, folder: Path) -> Path:
    """Write `folder/<student>/results.json`."""
    path = folder / student / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results_json(book, student), indent=2) + "\n", encoding="utf-8")
    return path


def tests(line: ExerciseGrade) -> list[dict[str, Any]]:
    """One exercise's tests, scaled by its weight: their scores add up to its contribution and their
    maximums to its weight."""
    if line.result is None:
        output = f"Nothing was handed in for this exercise: it counts 0 of {line.weight:g}."
        return [_entry(f"{line.exercise}: not handed in", 0, line.weight, passed=False, output=output)]
    result = line.result.for_student()
    scale = line.weight / line.full if line.full else 0
    scores = apportion(line.adds, [check.points * scale for check in result.checks])
    maxima = apportion(line.weight, [check.max_points * scale for check in result.checks], whole=False)
    found = [
        _test(result.exercise, check, score, most)
        for check, score, most in zip(result.checks, scores, maxima, strict=True)
    ]
    unearned = round(line.weight - sum(maxima), 2)
    if result.failure is not None:
        found.insert(0, _failure(result, max(unearned, 0)))
    elif result.status != "graded" or unearned > 0:
        found.append(_grading(result, max(unearned, 0)))
    return found


def apportion(total: float, shares: Sequence[float], *, whole: bool = True) -> list[float]:
    """`shares` to the hundredth, adding up to `total` (to the hundredth) when `whole`, else to their own
    sum rounded: each is rounded down, and the hundredths left go to the largest remainders."""
    cents = [round(share * 100, 6) for share in shares]
    floors = [math.floor(cent) for cent in cents]
    target = round(total * 100) if whole else min(round(sum(cents)), round(total * 100))
    left = target - sum(floors)
    by_remainder = sorted(range(len(cents)), key=lambda i: floors[i] - cents[i])
    for i in by_remainder[: max(left, 0)]:
        floors[i] += 1
    return [floor / 100 for floor in floors]


def _test(exercise: str, check: CheckResult, score: float, most: float) -> dict[str, Any]:
    name = f"{exercise}: {check.name.replace('_', ' ')}"
    points = f"{check.points:g}/{check.max_points:g} points of the exercise, {score:g}/{most:g} of the total."
    said = check_markdown(check)
    output = f"{said}\n\n{points}" if check.not_run else f"{points}\n\n{said}"
    visibility = AFTER_DUE_DATE if check.hidden else VISIBLE
    return _entry(name, score, most, passed=check.passed, output=output, visibility=visibility)


def check_markdown(check: CheckResult) -> str:
    """A check's output in Markdown: what it expects and, when it failed and is not hidden, what it
    found, a hint and a command to try it yourself."""
    expected = markdown_inline(check.expected)
    if check.passed:
        return expected
    if check.not_run:
        return f"not run: {markdown_inline(check.found)}"
    if check.hidden:
        return f"Expected: {expected}"
    lines = [f"Expected: {expected}", "", *found_markdown(check.found)]
    lines += ["", f"Hint: {markdown_inline(check.hint)}"] if check.hint else []
    lines += ["", f"Try it yourself: {markdown_code(check.reproduce)}"] if check.reproduce else []
    return "\n".join(lines)


def _failure(result: Result, unearned: float) -> dict[str, Any]:
    """The build or the script that failed, as the exercise's first test (worth what its checks could
    not earn): what happened, the step, its output, a hint (grader.model.failure)."""
    output = "\n".join(feedback.failure_markdown(result))
    return _entry(f"{result.exercise}: what went wrong", 0, unearned, passed=False, output=output)


def _grading(result: Result, unearned: float) -> dict[str, Any]:
    """A test for what grading could not check (the points its checks did not cover)."""
    if result.status == "graded":
        lines = ["Graded on fewer checks than the exercise has now: those missing count 0."]
    else:
        lines = [f"Grading ended with status {markdown_text(result.status)}."]
    lines += ["", *markdown_block(result.reason)] if result.reason else []
    return _entry(f"{result.exercise}: grading", 0, unearned, passed=False, output="\n".join(lines))


def _entry(
    name: str, score: float, max_score: float, *, passed: bool, output: str, visibility: str = VISIBLE
) -> dict[str, Any]:
    return {
        "name": terminal_line(name),
        "score": score,
        "max_score": max_score,
        "status": "passed" if passed else "failed",
        "output": output,
        "visibility": visibility,
    }
