"""What a batch writes from the stored results: gradebooks, feedback, JUnit, Gradescope, a report.

Everything here is made from `OUT/results/` alone, so it can be written again at
any time without grading anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from grader import feedback, gradebook, store
from grader.assignment import Assignment
from grader.gradebook import Gradebook
from grader.outputs import class_report, feedback_html, gradescope, junit
from grader.result import Result

PerStudent = Callable[[Gradebook, str, Path], Path]  # (gradebook, student, out) -> the file written


def gradebook_of(
    out: Path, chosen: Assignment, students: Iterable[str] = ()
) -> tuple[Gradebook, list[store.Stored]]:
    """The gradebook of the stored results of the assignment's exercises, and those results."""
    stored = [s for s in store.load_all(out) if s.exercise_id in chosen.weights]
    graded = [(s.student, s.result) for s in stored]
    return Gradebook.of(graded, weights=chosen.weights, students=students), stored


def write_all(out: Path, chosen: Assignment, students: Iterable[str] = ()) -> Gradebook:
    """Write every output for the assignment from the results stored under `out`."""
    book, stored = gradebook_of(out, chosen, students)
    gradebook.write_csv(book, out / "gradebook.csv")
    records = {(s.student, s.exercise_id): s.record for s in stored}
    data = {"assignment": chosen.to_dict(), **gradebook.to_dict(book, records)}
    gradebook.write_json(data, out / "gradebook.json")
    for student in book.students:
        for write in PER_STUDENT:
            write(book, student, out)
    class_report.write(book, chosen, out / "report")
    return book


def _results(book: Gradebook, student: str) -> list[Result]:
    return list(book.students[student].values())


def _feedback_markdown(book: Gradebook, student: str, out: Path) -> Path:
    return feedback.write(student, _results(book, student), out / "feedback")


def _feedback_html(book: Gradebook, student: str, out: Path) -> Path:
    return feedback_html.write(student, _results(book, student), out / "feedback")


def _junit(book: Gradebook, student: str, out: Path) -> Path:
    return junit.write(student, _results(book, student), out / "junit")


def _gradescope(book: Gradebook, student: str, out: Path) -> Path:
    return gradescope.write(book, student, out / "gradescope")


PER_STUDENT: list[PerStudent] = [_feedback_markdown, _feedback_html, _junit, _gradescope]
