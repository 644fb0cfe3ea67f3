"""What a batch writes from the stored results: gradebooks, feedback, JUnit, Gradescope, a report.

Everything here is made from `OUT/results/` alone, so it can be written again at
any time without grading anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from grader.batch import adjust, gradebook, store
from grader.batch.assignment import Assignment
from grader.batch.gradebook import Gradebook
from grader.outputs import class_report, feedback, feedback_html, gradebook_csv, gradescope, junit

PerStudent = Callable[[Gradebook, str, Path], Path]  # (gradebook, student, out) -> the file written


def gradebook_of(
    out: Path, chosen: Assignment, students: Iterable[str] = ()
) -> tuple[Gradebook, list[store.Stored]]:
    """The gradebook of the stored results of the assignment's exercises, adjusted (lateness,
    penalties, overrides: the stored results stay as graded), and those results."""
    stored = [s for s in store.load_all(out) if s.exercise_id in chosen.weights]
    graded = [(s.student, s.result) for s in stored]
    book = Gradebook.of(graded, weights=chosen.weights, students=students)
    records = {(s.student, s.exercise_id): s.record for s in stored}
    return replace(book, adjustments=adjust.adjustments(chosen, records)), stored


def for_students(book: Gradebook, chosen: Assignment) -> Gradebook:
    """The gradebook students' outputs are made from: hints and hidden checks' findings as the
    release date allows (`adjust.released_view`), and a note when they are held back."""
    released = chosen.released()
    students = {
        student: {e: adjust.released_view(r, released) for e, r in results.items()}
        for student, results in book.students.items()
    }
    return replace(book, students=students, note=adjust.release_note(chosen, released))


def write_all(out: Path, chosen: Assignment, students: Iterable[str] = ()) -> Gradebook:
    """Write every output for the assignment from the results stored under `out`."""
    book, stored = gradebook_of(out, chosen, students)
    gradebook_csv.write(book, out / "gradebook.csv", chosen.ids or None)
    records = {(s.student, s.exercise_id): s.record for s in stored}
    data = {"assignment": chosen.to_dict(), **gradebook.to_dict(book, records)}
    gradebook.write_json(data, out / "gradebook.json")
    shown = for_students(book, chosen)
    for student in book.students:
        for write in PER_STUDENT:
            write(shown, student, out)
    class_report.write(book, chosen, out / "report", records)
    return book


def _feedback_markdown(book: Gradebook, student: str, out: Path) -> Path:
    return feedback.write(book.grade(student), out / "feedback")


def _feedback_html(book: Gradebook, student: str, out: Path) -> Path:
    return feedback_html.write(book.grade(student), out / "feedback")


def _junit(book: Gradebook, student: str, out: Path) -> Path:
    return junit.write(book.grade(student), out / "junit")


def _gradescope(book: Gradebook, student: str, out: Path) -> Path:
    return gradescope.write(book, student, out / "gradescope")


PER_STUDENT: list[PerStudent] = [_feedback_markdown, _feedback_html, _junit, _gradescope]
