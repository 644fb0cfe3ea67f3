"""The demo class grades as demo/README.md says it does, and `grader demo` writes its gradebook."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from grader.commands import demo
from grader.commands.demo import SAMPLE_CLASS
from grader.grading.grade import grade
from grader.model.exercise import load

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("leaves_nothing")]

README = SAMPLE_CLASS.parent / "README.md"
ROW = re.compile(r"^\| (\w+) \| ([\w.-]+) \| .* \| (graded|timeout|error) \| (\d+) \|", re.MULTILINE)
TIMED_OUT = "timeout"  # a 60 s build, tested on a small exercise in tests/grading/test_grade.py


def _rows() -> list[tuple[str, str, str, int]]:
    return [(s, e, status, int(score)) for s, e, status, score in ROW.findall(README.read_text())]


ROWS = _rows()


def test_the_readme_describes_every_submission_of_the_class() -> None:
    described = {(student, exercise) for student, exercise, _, _ in ROWS}
    handed_in = {(folder.parent.name, folder.name) for folder in SAMPLE_CLASS.glob("*/*") if folder.is_dir()}
    assert described == handed_in


@pytest.mark.parametrize(
    ("student", "exercise_id", "status", "score"),
    [row for row in ROWS if row[2] != TIMED_OUT],
    ids=[f"{row[0]}/{row[1]}" for row in ROWS if row[2] != TIMED_OUT],
)
def test_each_submission_gets_what_the_readme_says(
    student: str, exercise_id: str, status: str, score: int
) -> None:
    result = grade(load(exercise_id), SAMPLE_CLASS / student / exercise_id)
    if (student, result.status, result.score) == ("hugo", "graded", 0):  # his own sleep could not fork
        assert "can't fork" in result.log and "did not build" in result.reason, result.reason
        return
    assert (result.status, result.score) == (status, score), result.checks


def test_grader_demo_writes_a_gradebook_and_feedback(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    for student, exercise_id in (("ana", "dockerfiles.hello"), ("ben", "dockerfiles.hello")):
        shutil.copytree(SAMPLE_CLASS / student / exercise_id, folder / student / exercise_id)
    assert demo.main(jobs=2, out=tmp_path / "out", submissions=folder) == 0
    out = tmp_path / "out"
    with (out / "gradebook.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    hello = "dockerfiles.hello (max 10, weight 10)"
    assert (rows["ana"][hello], rows["ben"][hello]) == ("10", "7")
    assert (rows["ben"]["total"], rows["ben"]["possible"], rows["ben"]["percent"]) == ("7", "100", "7")
    feedback = (out / "feedback" / "ben.md").read_text()
    assert feedback.splitlines()[2].startswith("**Total: 7/100 (7%)** (1 of 7 exercises handed in)")
    assert "**Not handed in** (each counts 0): `dockerfiles.cli-tool`" in feedback
    assert "prints hello" in feedback
    gradescope = json.loads((out / "gradescope" / "ben" / "results.json").read_text())
    assert round(sum(test["score"] for test in gradescope["tests"]), 2) == gradescope["score"] == 7
