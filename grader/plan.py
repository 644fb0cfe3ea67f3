"""What a batch grades: the assignment, its exercises, the class, and what is still to do."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import assignment, exercise, layout, store
from grader.assignment import Assignment
from grader.exercise import Exercise


class PlanError(ValueError):
    """The options do not make a batch; the message says why."""


@dataclass(frozen=True)
class Plan:
    """The assignment, its exercises, the class, and each submission's key."""

    assignment: Assignment
    exercises: dict[str, Exercise]
    roster: layout.Class
    keys: dict[tuple[str, str], str]

    def key(self, submission: layout.Submission) -> str:
        return self.keys[(submission.student, submission.exercise_id)]


def make(submissions: Path, *, assignment_file: Path | None, exercise_ids: Sequence[str]) -> Plan:
    """Read the assignment (a file, the --exercise ids, or what the submissions hold) and the class.

    Raises PlanError, AssignmentError or LayoutError with a message for the instructor.
    """
    known = {item.id: item for item in exercise.all_exercises()}
    chosen = _assignment(submissions, assignment_file, exercise_ids, known)
    roster = layout.discover(submissions, chosen.exercise_ids, assignment_name=chosen.name)
    keys = {(s.student, s.exercise_id): store.key(s.folder, known[s.exercise_id]) for s in roster.submissions}
    return Plan(chosen, {e: known[e] for e in chosen.exercise_ids}, roster, keys)


def todo(
    plan: Plan, out: Path, *, regrade: Collection[str] = (), regrade_all: bool = False
) -> list[layout.Submission]:
    """The submissions to grade: those without a current stored result, and those asked again."""
    unknown = sorted(set(regrade) - set(plan.roster.students))
    if unknown:
        students = ", ".join(plan.roster.students)
        raise PlanError(f"No student {', '.join(unknown)} in {plan.roster.root}. Students: {students}.")
    return [
        s
        for s in plan.roster.submissions
        if regrade_all
        or s.student in regrade
        or not store.is_current(out, s.student, s.exercise_id, plan.key(s))
    ]


def _assignment(
    submissions: Path, path: Path | None, exercise_ids: Sequence[str], known: dict[str, Exercise]
) -> Assignment:
    if path is not None and exercise_ids:
        raise PlanError("Give an assignment file or --exercise, not both.")
    if path is not None:
        return assignment.load(path, known)
    unknown = [exercise_id for exercise_id in exercise_ids if exercise_id not in known]
    if unknown:
        names = ", ".join(sorted(known)) or "none"
        raise PlanError(f"There is no exercise '{unknown[0]}'. Known exercises: {names}.")
    found = exercise_ids or layout.found_exercises(submissions, known)
    if not found:
        raise PlanError(
            f"No submission of a known exercise in {submissions}; give --exercise ID for a flat folder."
        )
    return assignment.implicit(submissions.resolve().name, found)
