"""Gradescope's autograder results (results.json), per student, for courses graded inside Gradescope.

The format: {"score", "execution_time", "output", "visibility", "tests": [{"name",
"score", "max_score", "status", "output", "visibility"}]}. The score is the
gradebook's (weighted) total; each check is a test worth its own points.
Hidden checks show only what they expect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.gradebook import Gradebook
from grader.result import CheckResult, Result

VISIBLE = "visible"


def results_json(book: Gradebook, student: str) -> dict[str, Any]:
    """One student's results.json content."""
    results = sorted(book.students[student].values(), key=lambda r: r.exercise)
    total, possible = book.total(student)
    return {
        "score": total,
        "execution_time": round(sum(result.duration_s for result in results)),
        "output": f"{total:g} of {possible:g} points over {len(book.exercises)} exercises.",
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
        "tests": [test for result in results for test in _tests(result.for_student())],
    }


def write(book: Gradebook, student: str, folder: Path) -> Path:
    """Write `folder/<student>/results.json`."""
    path = folder / student / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results_json(book, student), indent=2) + "\n")
    return path


def _tests(result: Result) -> list[dict[str, Any]]:
    tests = [_test(result.exercise, check) for check in result.checks]
    if result.status != "graded":
        reason = result.reason or f"Grading ended with status {result.status}."
        tests.append(_entry(f"{result.exercise}: grading", 0, 0, passed=False, output=reason))
    return tests


def _test(exercise: str, check: CheckResult) -> dict[str, Any]:
    name = f"{exercise}: {check.name.replace('_', ' ')}"
    return _entry(name, check.points, check.max_points, passed=check.passed, output=check.message)


def _entry(name: str, score: float, max_score: float, *, passed: bool, output: str) -> dict[str, Any]:
    return {
        "name": name,
        "score": score,
        "max_score": max_score,
        "status": "passed" if passed else "failed",
        "output": output,
        "visibility": VISIBLE,
    }
