"""What a batch grades: the assignment, its exercises, the class, and what is still to do."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.batch import assignment, layout, overrides, store
from grader.batch.assignment import Assignment
from grader.errors import InputError
from grader.model import exercise
from grader.model.exercise import Exercise
from grader.sandbox import walk


class PlanError(InputError, ValueError):
    """The options do not make a batch; the message says why."""


@dataclass(frozen=True)
class Plan:
    """The assignment, its exercises, the class, each submission's key, and why the submissions that
    cannot be graded cannot (each gets an error result saying so; the others are graded)."""

    assignment: Assignment
    exercises: dict[str, Exercise]
    roster: layout.Class
    keys: dict[tuple[str, str], str]
    problems: dict[tuple[str, str], str] = field(default_factory=dict)

    def key(self, submission: layout.Submission) -> str:
        return self.keys[(submission.student, submission.exercise_id)]

    def problem(self, submission: layout.Submission) -> str:
        """Why this submission cannot be graded, for the student; "" when it can."""
        return self.problems.get((submission.student, submission.exercise_id), "")


def make(
    submissions: Path,
    *,
    assignment_file: Path | None,
    exercise_ids: Sequence[str],
    overrides_file: Path | None = None,
    roster_file: Path | None = None,
) -> Plan:
    """Read the assignment (a file, the --exercise ids, or what the submissions hold) and the class;
    the overrides (`overrides_file`, else the one the assignment file names) and the roster's ids.

    Raises PlanError, AssignmentError or LayoutError with a message for the instructor. A submission
    that cannot be graded (see `walk`) is no error of the plan: its problem is in `Plan.problems`.
    """
    known = {item.id: item for item in exercise.all_exercises()}
    chosen = _assignment(submissions, assignment_file, exercise_ids, known)
    roster = layout.discover(submissions, chosen.exercise_ids, assignment_name=chosen.name)
    chosen = with_extras(chosen, roster.students, overrides_file, roster_file)
    keys: dict[tuple[str, str], str] = {}
    problems: dict[tuple[str, str], str] = {}
    for submission in roster.submissions:
        where = (submission.student, submission.exercise_id)
        keys[where], problems[where] = keyed(submission, known[submission.exercise_id], roster.root)
    found = {where: problem for where, problem in problems.items() if problem}
    return Plan(chosen, {e: known[e] for e in chosen.exercise_ids}, roster, keys, found)


def with_extras(
    chosen: Assignment, students: Sequence[str], overrides_file: Path | None, roster_file: Path | None
) -> Assignment:
    """The assignment with its overrides (checked against the class) and the roster's LMS ids."""
    path = overrides_file or (Path(chosen.overrides_file) if chosen.overrides_file else None)
    if path is not None:
        found = overrides.load(path, chosen.exercise_ids)
        overrides.check_students(found, students, str(path))
        chosen = replace(chosen, overrides=found, overrides_file=str(path))
    if roster_file is not None:
        chosen = replace(chosen, ids=overrides.load_roster(roster_file))
    return chosen


def keyed(submission: layout.Submission, chosen: Exercise, root: Path) -> tuple[str, str]:
    """A submission's key, and "" or why it cannot be graded (then its key is that of the problem).

    Whatever is wrong with one submission is that submission's problem, never the batch's.
    """
    try:
        _check_inside(submission.folder, root)
        return store.key(submission.folder, chosen), ""
    except walk.Refused as refused:
        problem = str(refused)
    except (OSError, ValueError) as unreadable:  # a folder that vanished, a name that is no text...
        why = unreadable.strerror if isinstance(unreadable, OSError) else "a name in it is not text"
        problem = f"Your folder could not be read ({why}): submit plain files and folders."
    return store.refused_key(problem, chosen), problem


def _check_inside(folder: Path, root: Path) -> None:
    """A submission's folder must be within the class's folder, not reached through a link."""
    real, top = walk.resolved(folder), walk.resolved(root)
    if top not in real.parents:
        raise walk.Refused(
            f"Your folder {walk.shown(folder.name)} is (or is in) a symbolic link leading outside the "
            "class's folder, which the grader does not follow: submit the folder itself."
        )


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
