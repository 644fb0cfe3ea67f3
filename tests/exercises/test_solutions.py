"""Every exercise's reference solution scores full marks, on every rubric item, on both image stores."""

from __future__ import annotations

import pytest

from grader.grading.grade import grade
from grader.model.exercise import Exercise, all_exercises
from grader.sandbox import stores

SOLVED = [exercise for exercise in all_exercises() if exercise.solution.is_dir()]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("store", stores.STORES)
@pytest.mark.parametrize("exercise", SOLVED, ids=[exercise.id for exercise in SOLVED])
def test_the_reference_solution_scores_full_marks(
    exercise: Exercise, store: stores.ImageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(stores.VARIABLE, store)
    result = grade(exercise, exercise.solution)
    failed = {check.name: check.found for check in result.checks if not check.passed}
    assert result.status == "graded", f"{result.status}: {result.reason}\n{result.log[-2000:]}"
    assert failed == {}, f"the solution fails rubric items:\n{failed}"
    assert result.checks, "the exercise has no rubric items"
    assert result.score == result.max_score
