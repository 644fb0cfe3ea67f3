"""The bench's generated class: every exercise, half right and half wrong, quick variants only."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console

from benchmarks import before, class_bench
from benchmarks.class_bench import SLOW_VARIANTS, make_class, p95, wrong_variants
from grader.model.exercise import all_exercises, load


def test_the_class_covers_every_exercise_half_right(tmp_path: Path) -> None:
    folder = make_class(tmp_path, 40)
    submissions = sorted(folder.glob("student-*/*"))
    assert len(submissions) == 40
    assert set(Counter(path.name for path in submissions)) == {item.id for item in all_exercises()}
    right = [path for path in submissions if _same_files(path, load(path.name).solution)]
    assert len(right) == 20
    assert not list(folder.glob("**/expected.toml")), "the expected outcome is not handed in"
    for path in submissions:
        assert (path / load(path.name).submitted_file).is_file()


def _same_files(folder: Path, other: Path) -> bool:
    return _files(folder) == _files(other)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def test_wrong_variants_fail_something_and_leave_out_the_slow_ones() -> None:
    for exercise in all_exercises():
        variants = wrong_variants(exercise.id)
        assert variants, f"{exercise.id} has known-wrong variants"
        assert all(f"{exercise.id}/{v.name}" not in SLOW_VARIANTS for v in variants)
        assert all("fails = []" not in (v / "expected.toml").read_text() for v in variants)


def test_p95_is_the_value_below_which_95_percent_fall() -> None:
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0


def test_the_table_shows_the_class_beside_its_figures_from_before_buildkit() -> None:
    row = {"wall_s": 70.0, "per_minute": 34.3, "median_s": 2.0, "p95_s": 4.0, "statuses": {"graded": 40}}
    console = Console(record=True, width=200)
    console.print(class_bench._table({"2": row, "3": row}, 40))
    lines = console.export_text().splitlines()
    assert before.WHEN in "".join(lines[:4])
    assert [
        line.split("│")[3].strip() for line in lines if line.startswith("│ 2") or line.startswith("│ 3")
    ] == [
        "65",
        "-",
    ], "2 workers took 65 s before; 3 were never measured"
