"""The autograde bench's class: nbgrader's layout, one solved notebook per student."""

from __future__ import annotations

from pathlib import Path

from benchmarks.autograde_bench import ASSIGNMENT, COURSE, make_course


def test_the_class_is_a_course_with_one_solved_notebook_per_student(tmp_path: Path) -> None:
    course = make_course(tmp_path, 3)
    assert (course / "nbgrader_config.py").is_file()
    handed_in = sorted(course.glob(f"submitted/*/{ASSIGNMENT}/*.ipynb"))
    assert [path.parts[-3] for path in handed_in] == ["student-00", "student-01", "student-02"]
    source = next((COURSE / "source" / ASSIGNMENT).glob("*.ipynb"))
    assert all(path.read_bytes() == source.read_bytes() for path in handed_in)
    assert "### BEGIN SOLUTION" in handed_in[0].read_text(), "the notebooks are the solved ones"
