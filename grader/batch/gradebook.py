"""A class's results as a gradebook: one row per student, one column per exercise, a weighted total."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from grader.batch.adjust import Adjustment
from grader.model.result import Result
from grader.safe_text import csv_cell, terminal_line

Graded = list[tuple[str, Result]]
Weights = Mapping[str, "float | None"]  # exercise id -> weight; None: the exercise's own points


NOT_HANDED_IN = "not handed in"


@dataclass(frozen=True)
class ExerciseGrade:
    """One exercise in a student's grade: its points, its weight, and what it adds to the total."""

    exercise: str
    result: Result | None  # None: not handed in
    points: float  # the student's score, out of `full`
    full: float  # the exercise's full marks (0: not known, nobody handed it in)
    weight: float  # what full marks add to the total
    adds: float  # weight x points / full, to the hundredth: the contributions sum to the total
    raw: float = 0.0  # the graded score, before any adjustment
    adjustment: Adjustment | None = None  # lateness, penalty, override

    @property
    def late_days(self) -> int:
        return self.adjustment.late_days if self.adjustment is not None else 0

    @property
    def adjusted(self) -> bool:
        """Whether its points differ from the graded score (an override, a late penalty)."""
        return self.adjustment is not None and (
            self.adjustment.override is not None or self.adjustment.penalty > 0
        )

    @property
    def points_text(self) -> str:
        """ "7/10"; "0" alone for an exercise not handed in whose maximum nobody's result gave."""
        return f"{self.points:g}/{self.full:g}" if self.full or self.result else f"{self.points:g}"

    @property
    def status(self) -> str:
        """The result's status, or "not handed in"."""
        return NOT_HANDED_IN if self.result is None else self.result.status


@dataclass(frozen=True)
class Grade:
    """One student's whole grade: a line per exercise, handed in or not, and the total they add to."""

    student: str
    exercises: list[ExerciseGrade]
    note: str = ""  # for the student: e.g. that hints are held back until a date

    @property
    def total(self) -> float:
        return _sum(line.adds for line in self.exercises)

    @property
    def possible(self) -> float:
        return _sum(line.weight for line in self.exercises)

    @property
    def percent(self) -> float:
        return percent(self.total, self.possible)

    @property
    def results(self) -> list[Result]:
        """The results handed in, in the assignment's order."""
        return [line.result for line in self.exercises if line.result is not None]

    @property
    def missing(self) -> list[str]:
        """The exercises of the assignment not handed in."""
        return [line.exercise for line in self.exercises if line.result is None]

    @property
    def late_days(self) -> int:
        """The most days late of any exercise (0: on time)."""
        return max((line.late_days for line in self.exercises), default=0)

    @property
    def status(self) -> str:
        """The student's status in one word (`STATUSES` says what each means)."""
        results = self.results
        if not results:
            return NOT_HANDED_IN
        unfinished = [r.status for r in results if r.status != "graded"]
        if unfinished:
            return "timeout" if set(unfinished) == {"timeout"} else "error"
        return "incomplete" if self.missing else "graded"


STATUSES = {
    "graded": "every exercise handed in and graded to the end",
    "incomplete": "graded, but some exercise was not handed in (it counts 0)",
    "error": "the grading of some exercise could not finish (the build failed to start, a crash...)",
    "timeout": "some exercise was stopped at its time limit",
    NOT_HANDED_IN: "nothing handed in",
}


@dataclass
class Gradebook:
    """Each student's result per exercise, and how the total is weighed.

    Without weights a total is the sum of the student's own results (and
    possible, of their maximum). With weights every listed exercise counts:
    it adds weight x score / full marks, a missing one adds 0 of its weight.
    """

    exercises: list[str]
    students: dict[str, dict[str, Result]]
    weights: Weights | None = None
    points: dict[str, float] = field(default_factory=dict)  # full marks of each exercise
    adjustments: Mapping[tuple[str, str], Adjustment] = field(default_factory=dict)  # (student, exercise)
    note: str = ""  # each grade's note

    @classmethod
    def of(cls, graded: Graded, *, weights: Weights | None = None, students: Iterable[str] = ()) -> Gradebook:
        """A gradebook of these results, unadjusted; `students` adds rows for students without any."""
        exercises = list(weights) if weights is not None else sorted({r.exercise for _, r in graded})
        by_student: dict[str, dict[str, Result]] = {name: {} for name in students}
        points: dict[str, float] = {}
        for student, result in graded:
            by_student.setdefault(student, {})[result.exercise] = result
            points[result.exercise] = max(points.get(result.exercise, 0), result.max_score)
        return cls(exercises, dict(sorted(by_student.items())), weights, points)

    def worth(self, exercise: str) -> float:
        """What an exercise adds to the possible total."""
        weight = self.weights.get(exercise) if self.weights is not None else None
        return self.points.get(exercise, 0) if weight is None else weight

    def grade(self, student: str) -> Grade:
        """The student's grade: with weights, every exercise of the assignment (a missing one adds 0);
        without, the student's own results, each worth its own points."""
        results = self.students.get(student, {})
        lines = [
            self._weighed(student, e, results.get(e))
            for e in self.exercises
            if self.weights is not None or e in results
        ]
        return Grade(student, lines, self.note)

    def _weighed(self, student: str, exercise: str, result: Result | None) -> ExerciseGrade:
        """One exercise's line, adjusted; without weights, a result is worth its own points."""
        adjusted = self.adjustments.get((student, exercise))
        raw = result.score if result is not None else 0
        if self.weights is None and result is not None:
            full, weight = result.max_score, result.max_score
        else:
            full, weight = self.points.get(exercise, 0), self.worth(exercise)
        points = adjusted.apply(raw, full) if adjusted is not None else raw
        adds = round(weight * points / full, 2) if full else 0
        return ExerciseGrade(exercise, result, points, full, weight, adds, raw, adjusted)

    def total(self, student: str) -> tuple[float, float]:
        """The student's total and the total possible."""
        grade = self.grade(student)
        return grade.total, grade.possible


def percent(earned: float, possible: float) -> float:
    """`earned` as a percentage of `possible`, to a tenth (0 when nothing was possible)."""
    return round(100 * earned / possible, 1) if possible else 0.0


def score_text(earned: float, possible: float) -> str:
    """ "7/10 (70%)": a score, its maximum and the percentage."""
    return f"{earned:g}/{possible:g} ({percent(earned, possible):g}%)"


def _sum(values: Iterable[float]) -> float:
    return round(sum(values), 2)


def rows(graded: Graded) -> tuple[list[str], dict[str, dict[str, Result]]]:
    """The exercises (columns) and, per student, their result for each."""
    book = Gradebook.of(graded)
    return book.exercises, book.students


def _book(graded: Gradebook | Graded) -> Gradebook:
    return graded if isinstance(graded, Gradebook) else Gradebook.of(graded)


def to_dict(
    book: Gradebook, records: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Everything in the gradebook; `records` (by student and exercise) replace bare results. Each
    exercise's adjustment (when handed in, lateness, penalty, override) is kept beside it."""
    records = records or {}

    def entry(student: str, result: Result) -> Mapping[str, Any]:
        return records.get((student, result.exercise)) or {"result": result.to_dict()}

    def student_dict(student: str, results: dict[str, Result]) -> dict[str, Any]:
        grade = book.grade(student)
        return {
            "student": student,
            "total": grade.total,
            "possible": grade.possible,
            "percent": grade.percent,
            "status": grade.status,
            "late_days": grade.late_days,
            "adds": {line.exercise: line.adds for line in grade.exercises},
            "points": {line.exercise: line.points for line in grade.exercises},
            "adjustments": {
                line.exercise: line.adjustment.to_dict() for line in grade.exercises if line.adjustment
            },
            "missing": grade.missing,
            "exercises": {exercise: entry(student, result) for exercise, result in results.items()},
        }

    return {
        "exercises": [
            {"id": e, "weight": book.worth(e), "points": book.points.get(e, 0)} for e in book.exercises
        ],
        "students": [student_dict(student, results) for student, results in book.students.items()],
    }


def write_json(data: Mapping[str, Any], path: Path) -> Path:
    """Write `data` as JSON: text as it is, every control and non-ASCII character as a \\u escape."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    return path


class GradebookView:
    """The gradebook for a console: a rich table on a terminal; piped, plain columns, nothing cut."""

    def __init__(self, book: Gradebook) -> None:
        self.book = book

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.is_terminal:
            yield rich_table(self.book)
        else:
            yield from plain_lines(plain_table(self.book))


def table(graded: Gradebook | Graded) -> GradebookView:
    """The gradebook for a console (`GradebookView`)."""
    return GradebookView(_book(graded))


def rich_table(book: Gradebook) -> Table:
    """The gradebook as a terminal table; a name shows as plain text on one line, never as markup.

    Student and total are never wrapped: a narrow terminal narrows the exercises' columns first.
    """
    grid = Table(title="Gradebook", show_lines=False)
    grid.add_column("Student", style="bold", no_wrap=True)
    for exercise in book.exercises:
        grid.add_column(Text(terminal_line(_short(exercise))), justify="right", overflow="fold")
    grid.add_column("Total", justify="right", style="bold", no_wrap=True)
    grid.add_column("%", justify="right", no_wrap=True)
    for student, results in book.students.items():
        grade = book.grade(student)
        cells = [_cell(results.get(exercise), grade) for exercise in book.exercises]
        total = f"{grade.total:g}/{grade.possible:g}"
        grid.add_row(Text(terminal_line(student)), *cells, total, f"{grade.percent:g}%")
    return grid


def plain_table(book: Gradebook) -> list[str]:
    """The gradebook as lines of plain text: columns two spaces apart, every cell whole."""
    head = ["Student", *(_short(e) for e in book.exercises), "Total", "%"]
    rows = [head]
    for student, results in book.students.items():
        grade = book.grade(student)
        cells = [_cell(results.get(exercise), grade).plain for exercise in book.exercises]
        rows.append([student, *cells, f"{grade.total:g}/{grade.possible:g}", f"{grade.percent:g}%"])
    return ["Gradebook", *columns([[terminal_line(cell) for cell in cells] for cells in rows])]


def columns(rows: list[list[str]], *, left: int = 1) -> list[str]:
    """Rows of cells as aligned lines: the first `left` columns to the left, the others to the right."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))] if rows else []
    aligned = (
        "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )
    return [line.rstrip() for line in aligned]


def plain_lines(lines: Iterable[str]) -> Iterator[Segment]:
    """Lines as they are: not wrapped, not cut (a console as wide as `grader.outputs.console` makes it)."""
    for line in lines:
        yield Segment(line)
        yield Segment.line()


def _short(exercise: str) -> str:
    return exercise.split(".", 1)[-1]


def _score(result: Result | None) -> str:
    return "" if result is None else f"{result.score:g}"


def _cell(result: Result | None, grade: Grade) -> Text:
    """A result's score; adjusted (an override, a late penalty), its points after it, marked `*`."""
    line = next((line for line in grade.exercises if result and line.exercise == result.exercise), None)
    if line is not None and line.adjusted:
        return Text(f"{line.points:g}/{line.full:g}*", style="yellow")
    if result is None:
        return Text("-", style="dim")
    text = f"{result.score:g}/{result.max_score:g}"
    if result.status != "graded":
        return Text(f"{text} {terminal_line(result.status)}", style="red")
    return Text(text, style="green" if result.score == result.max_score else "")


NotebookScores = dict[str, dict[str, tuple[float, float]]]  # student -> assignment -> (score, max)


def notebook_scores(rows: Iterable[Mapping[str, str]]) -> NotebookScores:
    """Each student's score and maximum per notebook assignment, from nbgrader's exported CSV rows."""
    scores: NotebookScores = {}
    for row in rows:
        score = (float(row["score"] or 0), float(row["max_score"] or 0))
        scores.setdefault(row["student_id"], {})[row["assignment"]] = score
    return dict(sorted(scores.items()))


def write_course_csv(book: Gradebook, notebooks: NotebookScores, path: Path) -> Path:
    """One CSV for the course: per student, each notebook's and each exercise's score, total, possible.

    A notebook adds its score and its maximum; exercises add what they add in `book`.
    """
    assignments = sorted({a for by_assignment in notebooks.values() for a in by_assignment})
    full = {a: max(s[a][1] for s in notebooks.values() if a in s) for a in assignments}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        names = [csv_cell(name) for name in [*assignments, *book.exercises]]
        writer.writerow(["student", *names, "total", "possible"])
        for student in sorted({*book.students, *notebooks}):
            mine = notebooks.get(student, {})
            results = book.students.get(student, {})
            earned, possible = (
                book.total(student) if student in book.students else (0.0, _empty_possible(book))
            )
            earned += sum(score for score, _ in mine.values())
            possible += sum(full.values())
            cells = [_notebook_cell(mine.get(a)) for a in assignments]
            cells += [_score(results.get(e)) for e in book.exercises]
            writer.writerow([csv_cell(student), *cells, f"{round(earned, 2):g}", f"{round(possible, 2):g}"])
    return path


def _empty_possible(book: Gradebook) -> float:
    """What a student without any exercise result could have earned (weights count; own points do not)."""
    return _sum(book.worth(e) for e in book.exercises) if book.weights is not None else 0.0


def _notebook_cell(score: tuple[float, float] | None) -> str:
    return "" if score is None else f"{score[0]:g}"
