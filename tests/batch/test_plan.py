"""Planning a batch over hostile submissions: each one's problem is its own, the others are keyed."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.batch import plan, store
from grader.batch.assignment import AssignmentError
from grader.model.exercise import ROOT_VARIABLE, load
from tests import hostile_trees

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exercises"
EXERCISE = "tiny.echo"

pytestmark = pytest.mark.timeout(60)  # planning that opened a pipe would hang: fail instead


@pytest.fixture(autouse=True)
def fixture_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROOT_VARIABLE, str(FIXTURES))


@pytest.fixture
def submitted(tmp_path: Path) -> Iterator[Path]:
    """A class: ana's good submission; mallory's is made hostile by the test."""
    root = tmp_path / "submitted"
    hostile_trees.submission(root / "ana" / EXERCISE)
    hostile_trees.submission(root / "mallory" / EXERCISE)
    yield root
    hostile_trees.unnest(root / "mallory" / EXERCISE)


def _plan(root: Path) -> plan.Plan:
    return plan.make(root, assignment_file=None, exercise_ids=[EXERCISE])


@pytest.mark.parametrize("make", sorted(hostile_trees.MAKERS))
def test_planning_finishes_quickly_in_bounded_memory_whatever_a_submission_holds(
    submitted: Path, make: str
) -> None:
    hostile_trees.MAKERS[make](submitted / "mallory" / EXERCISE)
    tracemalloc.start()
    started = time.monotonic()
    try:
        chosen = _plan(submitted)
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert took < 10
    assert peak < 50 * 1024 * 1024
    tiny = load(EXERCISE, FIXTURES)
    ana, mallory = chosen.roster.submissions
    assert chosen.key(ana) == store.key(ana.folder, tiny) and not chosen.problem(ana)
    if make in hostile_trees.REFUSED:
        assert hostile_trees.REFUSED[make] in chosen.problem(mallory)
        assert chosen.key(mallory) == store.refused_key(chosen.problem(mallory), tiny)
    else:
        assert not chosen.problem(mallory), "left out when graded, and said so then"
    assert plan.todo(chosen, submitted.parent / "out") == [ana, mallory]


def test_the_messages_tell_the_student_what_to_do(submitted: Path) -> None:
    hostile_trees.many(submitted / "mallory" / EXERCISE)
    problem = _plan(submitted).problems[("mallory", EXERCISE)]
    assert problem.startswith("Your folder holds more than 10,000 files and folders")
    assert "remove build outputs and dependencies (such as node_modules" in problem


@pytest.mark.parametrize("where", ["exercise", "student"])
def test_a_submission_reached_through_a_link_is_refused_not_followed(
    submitted: Path, tmp_path: Path, where: str
) -> None:
    elsewhere = hostile_trees.submission(tmp_path / "elsewhere" / EXERCISE)
    if where == "exercise":
        (submitted / "mallory" / EXERCISE / "Dockerfile").unlink()
        (submitted / "mallory" / EXERCISE).rmdir()
        (submitted / "mallory" / EXERCISE).symlink_to(elsewhere)
    else:
        (submitted / "mallory" / EXERCISE / "Dockerfile").unlink()
        (submitted / "mallory" / EXERCISE).rmdir()
        (submitted / "mallory").rmdir()
        (submitted / "mallory").symlink_to(elsewhere.parent)
    chosen = _plan(submitted)
    assert "symbolic link" in chosen.problems[("mallory", EXERCISE)]
    assert set(chosen.problems) == {("mallory", EXERCISE)}


def test_an_unreadable_submission_is_its_own_problem(
    submitted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(folder: Path, *args: object, **kwargs: object) -> str:
        if "mallory" in str(folder):
            raise PermissionError(13, "Permission denied")
        return "k"

    monkeypatch.setattr(store, "key", broken)
    chosen = _plan(submitted)
    assert chosen.problems == {
        (
            "mallory",
            EXERCISE,
        ): "Your folder could not be read (Permission denied): submit plain files and folders."
    }


def test_a_plan_reads_the_overrides_the_assignment_file_names_and_a_roster(submitted: Path) -> None:
    folder = submitted.parent
    (folder / "fixes.csv").write_text("student,exercise,points,delta,comment\nana,tiny.echo,,1,Oral.\n")
    (folder / "week.toml").write_text(
        'name = "w"\noverrides = "fixes.csv"\n[[exercises]]\nid = "tiny.echo"\n', encoding="utf-8"
    )
    (folder / "roster.csv").write_text("student,id\nana,s1\n")
    chosen = plan.make(
        submitted, assignment_file=folder / "week.toml", exercise_ids=[], roster_file=folder / "roster.csv"
    ).assignment
    assert [(o.student, o.delta, o.comment) for o in chosen.overrides] == [("ana", 1.0, "Oral.")]
    assert chosen.ids == {"ana": "s1"}


def test_overrides_given_on_the_command_line_are_checked_against_the_class(submitted: Path) -> None:
    fixes = submitted.parent / "fixes.toml"
    fixes.write_text('[[override]]\nstudent = "anna"\nexercise = "tiny.echo"\npoints = 1\n')
    with pytest.raises(AssignmentError, match="no student anna in the class"):
        plan.make(submitted, assignment_file=None, exercise_ids=[EXERCISE], overrides_file=fixes)
