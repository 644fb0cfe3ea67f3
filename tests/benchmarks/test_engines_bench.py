"""The engines bench's cases and table (no engine: grading itself is the variants tests' job)."""

from __future__ import annotations

from rich.console import Console

from benchmarks import engines
from grader.model.exercise import all_exercises


def test_every_solution_and_variant_is_a_case_with_its_expected_failures() -> None:
    found = engines.cases()
    solutions = [case for case in found if case.name.endswith("/solution")]
    assert len(solutions) == sum(1 for exercise in all_exercises() if exercise.solution.is_dir())
    assert all(case.fails == frozenset() for case in solutions)
    assert len(found) - len(solutions) == len(list(engines.VARIANTS.glob("*/*/expected.toml")))
    assert any(case.fails for case in found)
    assert {case.exercise for case in engines.cases("dockerfiles.hello")} == {"dockerfiles.hello"}


def test_the_table_shows_counts_and_time_per_submission() -> None:
    row = {"engine": "28", "docker": "28.5.2+dfsg4-5", "store": "classic", "cases": 4, "as_expected": 3}
    console = Console(width=120, record=True)
    console.print(engines.table([{**row, "seconds": 10.0, "differences": {}}]))
    text = console.export_text()
    assert "28.5.2 " in text and "3/4" in text and "2.5" in text
