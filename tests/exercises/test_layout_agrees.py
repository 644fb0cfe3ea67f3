"""exercises/, solutions/ and the variants' folders name the same exercises, in both directions."""

from __future__ import annotations

from pathlib import Path

from grader.model.exercise import ROOT, all_exercises

VARIANTS = Path(__file__).parent / "variants"


def _folders(root: Path) -> set[str]:
    return {path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))}


def test_every_exercise_has_a_solution_and_variants_and_nothing_else_does() -> None:
    exercises = {exercise.id for exercise in all_exercises()}
    assert exercises, "no exercise found"
    assert _folders(ROOT / "solutions") == exercises
    assert _folders(VARIANTS) == exercises


def test_every_exercise_has_at_least_one_wrong_variant_with_its_expected_score() -> None:
    for exercise in _folders(VARIANTS):
        variants = [path for path in (VARIANTS / exercise).iterdir() if path.is_dir()]
        assert variants, f"{exercise} has no variant"
        missing = [path.name for path in variants if not (path / "expected.toml").is_file()]
        assert not missing, f"{exercise}: variants without expected.toml: {missing}"
