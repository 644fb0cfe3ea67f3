"""What the instructor's report counts: score histograms, each check's pass rate, who needs attention."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from grader.batch.gradebook import NOT_HANDED_IN, ExerciseGrade, Grade, Gradebook
from grader.model.result import CheckResult, Result

BINS = 10
EXACT_UP_TO = 20  # whole-number scores up to this maximum get one bar per score
NOT_RUN = "The check did not run"


@dataclass(frozen=True)
class Bin:
    """Students whose score is from `low` up to, not including, `high`; `low == high`: exactly `low`."""

    low: float
    high: float
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:g}" if self.low == self.high else f"{self.low:g}–{self.high:g}"

    @property
    def words(self) -> str:
        scored = (
            f"scored {self.low:g}" if self.low == self.high else f"scored {self.low:g} to under {self.high:g}"
        )
        return f"{self.count} {scored}"


def histogram(scores: list[float], full: float, bins: int = BINS) -> list[Bin]:
    """Scores from 0 to `full` counted in bins, full marks always a bar of its own.

    Whole-number scores out of a whole maximum up to `EXACT_UP_TO` get a bar per score (0, 1, ...,
    full); others `bins` bars of equal width ([low, high)), then one for full marks. No full: one bar.
    """
    if full <= 0:
        return [Bin(0, 0, len(scores))]
    if full <= EXACT_UP_TO and full == int(full) and all(value == int(value) for value in scores):
        exact = Counter(int(value) for value in scores)
        return [Bin(value, value, exact[value]) for value in range(int(full) + 1)]
    width = full / bins
    counts = Counter(bins if value >= full else min(int(value / width), bins - 1) for value in scores)
    ranges = [Bin(round(i * width, 2), round((i + 1) * width, 2), counts[i]) for i in range(bins)]
    return [*ranges, Bin(full, full, counts[bins])]


@dataclass
class CheckRate:
    """One check across the class: who passed it, who failed it, whose grading never ran it."""

    exercise: str
    check: str
    points: float
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)

    @property
    def graded(self) -> int:
        return len(self.passed) + len(self.failed) + len(self.not_run)

    @property
    def rate(self) -> float:
        """The share that passed, in percent."""
        return round(100 * len(self.passed) / self.graded, 1) if self.graded else 0.0


def not_run(result: Result, check: CheckResult) -> bool:
    """Whether a failed check could not run: its grading did not finish (a failed build, a timeout,
    an error), or it says so."""
    return not check.passed and (result.status != "graded" or check.found.startswith(NOT_RUN))


def _count(rate: CheckRate, student: str, result: Result, check: CheckResult) -> None:
    if check.passed:
        rate.passed.append(student)
    elif not_run(result, check):
        rate.not_run.append(student)
    else:
        rate.failed.append(student)


def check_rates(book: Gradebook) -> list[CheckRate]:
    """Each check of each exercise (in the assignment's and the checks' order) and who passed it."""
    rates: dict[tuple[str, str], CheckRate] = {}
    for exercise in book.exercises:
        for student, results in book.students.items():
            result = results.get(exercise)
            if result is None:
                continue
            for check in result.checks:
                key = (exercise, check.name)
                rate = rates.setdefault(key, CheckRate(exercise, check.name, check.max_points))
                _count(rate, student, result, check)
    return list(rates.values())


@dataclass(frozen=True)
class Concern:
    """Something about one student an instructor should look at."""

    student: str
    kind: str  # "error", "timeout", "zero", "missing", "late"
    what: str  # a sentence, plain text


KINDS = ("error", "timeout", "zero", "missing", "late")


def concerns(book: Gradebook) -> list[Concern]:
    """Who needs attention, gravest first: unfinished gradings, zeros, work not handed in, late work."""
    found = [concern for student in book.students for concern in _concerns(book.grade(student))]
    return sorted(found, key=lambda c: (KINDS.index(c.kind), c.student))


def _late(line: ExerciseGrade) -> str:
    penalty = line.adjustment.penalty if line.adjustment else 0
    return f"{line.exercise}: {line.late_days} day(s) late" + (f", {penalty:g}% off" if penalty else "")


def _concerns(grade: Grade) -> list[Concern]:
    found = []
    for line in grade.exercises:
        result, name = line.result, grade.student
        if result is not None and result.status != "graded":
            reason = result.reason.strip().splitlines()[0] if result.reason.strip() else "no reason given"
            found.append(Concern(name, result.status, f"{line.exercise}: {result.status}: {reason}"))
        elif result is not None and line.points == 0:
            found.append(Concern(name, "zero", f"{line.exercise}: 0/{line.full:g}"))
    late = [_late(line) for line in grade.exercises if line.late_days]
    if late:
        found.append(Concern(grade.student, "late", "; ".join(late)))
    if grade.status == NOT_HANDED_IN:
        found.append(Concern(grade.student, "missing", "nothing handed in"))
    elif grade.missing:
        found.append(Concern(grade.student, "missing", f"not handed in: {', '.join(grade.missing)}"))
    return found
