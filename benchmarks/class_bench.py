"""Grading a generated class: throughput and per-submission time at 1, 2 and 4 workers.

The class mixes every exercise, image and setup alike: for each student one
exercise, round robin, handed in right (its reference solution) or wrong (one of
its known-wrong variants from tests/exercises/variants), alternately. Variants that
take long on purpose (a registry that never answers) are left out, so the figures
are about the grader, not about waiting for a time limit.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections import Counter
from itertools import cycle
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import before
from grader.batch import batch
from grader.model.exercise import ROOT, all_exercises

VARIANTS = ROOT / "tests" / "exercises" / "variants"
SLOW_VARIANTS = {"registry.local/not-a-registry"}
CLASS_SIZE = 40
WORKERS = (1, 2, 4)

Figures = dict[str, object]


def wrong_variants(exercise_id: str) -> list[Path]:
    """The exercise's known-wrong submissions (those expected to fail a check), quick ones only."""
    found = []
    for expected in sorted((VARIANTS / exercise_id).glob("*/expected.toml")):
        folder = expected.parent
        if f"{exercise_id}/{folder.name}" not in SLOW_VARIANTS and "fails = []" not in expected.read_text():
            found.append(folder)
    return found


def make_class(root: Path, size: int = CLASS_SIZE) -> Path:
    """A flat class of `size` students under `root`, one submission each; the folder."""
    exercises = cycle(sorted(item.id for item in all_exercises()))
    wrong = {item.id: cycle(wrong_variants(item.id)) for item in all_exercises()}
    solutions = {item.id: item.solution for item in all_exercises()}
    for number in range(size):
        exercise_id = next(exercises)
        source = solutions[exercise_id] if number % 2 == 0 else next(wrong[exercise_id])
        shutil.copytree(source, root / f"student-{number:03d}" / exercise_id, ignore=_not_submitted)
    return root


def _not_submitted(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "expected.toml"]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def grade_class(folder: Path, workers: int, scheduler: str | None = None) -> dict[str, object]:
    """Grade every submission of `folder` with `workers` slots, here or on a cluster; the figures."""
    jobs = batch.discover(folder)
    started = time.perf_counter()
    done = batch.grade_all(jobs, workers=workers, on_result=lambda job, result: None, scheduler=scheduler)
    wall = time.perf_counter() - started
    durations = [result.duration_s for _, result in done]
    return {
        "submissions": len(done),
        "wall_s": wall,
        "per_minute": len(done) / wall * 60,
        "median_s": statistics.median(durations),
        "p95_s": p95(durations),
        "overhead_s": wall * workers / len(done) - statistics.mean(durations),
        "statuses": dict(Counter(result.status for _, result in done)),
        "errors": sum(result.status == "error" for _, result in done),
    }


def main(console: Console, workers: tuple[int, ...] = WORKERS, size: int = CLASS_SIZE) -> Figures:
    """Grade a generated class of `size` at each number of workers; print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-class-") as temporary:
        folder = make_class(Path(temporary), size)
        figures: Figures = {str(count): grade_class(folder, count) for count in workers}
    console.print(_table(figures, size))
    return figures


def _table(figures: Figures, size: int) -> Table:
    table = Table(title=f"A generated class: {size} submissions, every exercise, half right, half wrong")
    for column in (
        "workers",
        "wall s",
        f"wall s ({before.WHEN})",
        "per min",
        "median s",
        "p95 s",
        "statuses",
    ):
        table.add_column(column, justify="left" if column in ("workers", "statuses") else "right")
    for count, row in figures.items():
        assert isinstance(row, dict)
        table.add_row(
            count,
            f"{row['wall_s']:.1f}",
            before.seconds(before.CLASS_WALL_S.get(count)),
            f"{row['per_minute']:.1f}",
            f"{row['median_s']:.1f}",
            f"{row['p95_s']:.1f}",
            " ".join(f"{n} {status}" for status, n in sorted(row["statuses"].items())),
        )
    table.caption = "median/p95: one submission's grading, sandbox included; per min: graded per minute"
    return table
