"""`grader notebooks`: nbgrader makes the students' versions; a student's work is never overwritten."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.commands.notebooks import main, release, topics
from tests.course.notebooks import nbgrader, notebook_path, present


def released(course: Path, assignment: str) -> Path:
    return course / "release" / assignment / notebook_path(assignment).name


def test_every_topic_is_released_without_its_solutions(course_dir: Path) -> None:
    assert main(course=course_dir) == 0
    assert topics(course_dir) == present()
    for assignment in present():
        source = nbformat.read(notebook_path(assignment), as_version=4)
        student = nbformat.read(released(course_dir, assignment), as_version=4)
        assert "BEGIN SOLUTION" not in student_text(student)
        for mine, theirs in zip(source.cells, student.cells, strict=True):
            if nbgrader(mine).get("solution"):
                assert "# YOUR ANSWER HERE" in theirs.source
                assert theirs.source.startswith("%%bash") == mine.source.startswith("%%bash")
            elif nbgrader(mine).get("grade"):
                assert theirs.source == mine.source and theirs.metadata["editable"] is False


def student_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def test_a_students_notebook_is_kept_unless_forced(course_dir: Path) -> None:
    assignment = present()[0]
    release(assignment, course=course_dir)
    path = released(course_dir, assignment)
    path.write_text(path.read_text().replace("# YOUR ANSWER HERE", "docker ps  # my answer"))
    assert release(assignment, course=course_dir).startswith("kept")
    assert "my answer" in path.read_text()
    assert release(assignment, course=course_dir, force=True) == "generated"
    assert "my answer" not in path.read_text()


def test_a_broken_source_notebook_is_a_message(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = course_dir / "source" / "00-broken"
    broken.mkdir()
    (broken / "broken.ipynb").write_text("{ not json")
    assert main(course=course_dir) == 1
    assert "nbgrader could not generate 00-broken" in capsys.readouterr().err
