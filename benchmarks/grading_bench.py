"""What grading costs: a sandbox's start, base image loads, one submission per exercise, a class.

Each part prints a table and returns its figures in seconds. Phases inside `grade()` are timed
by wrapping the names the recipes grader.grading.grade_image and grader.grading.grade_setup call (lint,
pack, Sandbox, build or run_script, run_checks) for the length of a measurement; grader's
code itself is not changed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import docker
from rich.console import Console
from rich.table import Table

from benchmarks import before
from grader.grading import grade_image, grade_setup
from grader.grading.grade import grade
from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import Exercise, all_exercises
from grader.sandbox.sandbox import Sandbox

SANDBOX_STARTS = 5
IMAGES = ("busybox:latest", "debian:bookworm-slim")
IMAGE_LOADS = 3
SOLUTION_REPEATS = 3
PHASES = ("lint", "pack", "sandbox start", "image load", "build", "script", "checks", "sandbox close")

Figures = dict[str, Any]


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "runs": len(samples),
    }


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def _s(value: float) -> str:
    return f"{value:.2f}"


def _sandbox(host: docker.DockerClient) -> Sandbox:
    return Sandbox(host, sandbox_engine.TAG, run_id=labels.new_run_id())


def environment(host: docker.DockerClient) -> Figures:
    """What the figures depend on, and how busy the machine was when they were taken."""
    version = host.version()
    busy = host.containers.list(filters={"name": "grader-sandbox-"})
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cores": os.cpu_count(),
        "engine": version.get("Version"),
        "kernel": version.get("KernelVersion"),
        "sandbox_image": sandbox_engine.TAG,
        "load_average_1m": os.getloadavg()[0],
        "other_sandboxes_running": len(busy),
    }


def sandbox_start(host: docker.DockerClient, console: Console, count: int = SANDBOX_STARTS) -> Figures:
    """Start a sandbox until its engine answers a ping, then close it, `count` times."""
    starts: list[float] = []
    closes: list[float] = []
    for _ in range(count):
        sandbox = _sandbox(host)
        started = time.perf_counter()
        try:
            sandbox.start()
            starts.append(time.perf_counter() - started)
        finally:
            closing = time.perf_counter()
            sandbox.close()
            closes.append(time.perf_counter() - closing)
    figures = {"start": _stats(starts), "close": _stats(closes)}
    table = _table(
        f"Sandbox lifecycle ({count} runs)", "step", "median s", "min s", "max s", f"{before.WHEN}, s"
    )
    for step, label in (("start", "start until the nested engine answers"), ("close", "close (remove all)")):
        row = figures[step]
        was = before.seconds(before.SANDBOX_S[step])
        table.add_row(label, _s(row["median_s"]), _s(row["min_s"]), _s(row["max_s"]), was)
    console.print(table)
    return figures


def image_loads(host: docker.DockerClient, console: Console, repeats: int = IMAGE_LOADS) -> Figures:
    """Copy each base image from the host engine into a fresh sandbox, `repeats` times."""
    figures: Figures = {}
    for name in IMAGES:
        samples: list[float] = []
        for _ in range(repeats):
            with _sandbox(host) as sandbox:
                started = time.perf_counter()
                sandbox.load_images([name])
                samples.append(time.perf_counter() - started)
        figures[name] = {**_stats(samples), "size_mb": host.images.get(name).attrs["Size"] / 1e6}
    table = _table(
        f"Loading a base image into a sandbox ({repeats} runs each)", "image", "MB", "median s", "max s"
    )
    for name, row in figures.items():
        table.add_row(name, f"{row['size_mb']:.0f}", _s(row["median_s"]), _s(row["max_s"]))
    console.print(table)
    return figures


@contextlib.contextmanager
def _phase_timer() -> Iterator[dict[str, float]]:
    """Time the phases of the `grade()` calls made inside; yields {phase: seconds} (summed)."""
    spent: dict[str, float] = defaultdict(float)

    def timed(phase: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started

        return wrapper

    class TimedSandbox(Sandbox):
        start = timed("sandbox start", Sandbox.start)
        load_images = timed("image load", Sandbox.load_images)
        close = timed("sandbox close", Sandbox.close)

    with contextlib.ExitStack() as patches:
        for recipe in (grade_image, grade_setup):
            patches.enter_context(mock.patch.object(recipe, "pack", timed("pack", recipe.pack)))
            patches.enter_context(mock.patch.object(recipe, "Sandbox", TimedSandbox))
            patches.enter_context(mock.patch.object(recipe, "run_checks", timed("checks", recipe.run_checks)))
        patches.enter_context(mock.patch.object(grade_image, "advise", timed("lint", grade_image.advise)))
        patches.enter_context(mock.patch.object(grade_image, "build", timed("build", grade_image.build)))
        patches.enter_context(
            mock.patch.object(grade_setup, "run_script", timed("script", grade_setup.run_script))
        )
        yield spent


def _grade_timed(exercise: Exercise, host: docker.DockerClient) -> tuple[float, dict[str, float], str]:
    with _phase_timer() as spent:
        started = time.perf_counter()
        result = grade(exercise, exercise.solution, host=host)
        total = time.perf_counter() - started
    outcome = f"{result.status} {result.score:g}/{result.max_score:g}"
    return total, dict(spent), outcome


def solutions(host: docker.DockerClient, console: Console, repeats: int = SOLUTION_REPEATS) -> Figures:
    """Grade each exercise's reference solution `repeats` times, with the time of each phase."""
    figures: Figures = {}
    for exercise in all_exercises():
        if not exercise.solution.is_dir():
            continue
        totals: list[float] = []
        phases: dict[str, list[float]] = defaultdict(list)
        outcomes: Counter[str] = Counter()
        for _ in range(repeats):
            total, spent, outcome = _grade_timed(exercise, host)
            totals.append(total)
            outcomes[outcome] += 1
            for phase in PHASES:
                phases[phase].append(spent.get(phase, 0.0))
            phases["other"].append(total - sum(spent.values()))
        figures[exercise.id] = {
            **_stats(totals),
            "phases_median_s": {phase: statistics.median(samples) for phase, samples in phases.items()},
            "outcomes": dict(outcomes),
        }
    console.print(_solutions_table(figures, repeats))
    console.print(_phases_table(figures))
    console.print(_overhead_table(overhead(figures)))
    return figures


def _short(exercise_id: str) -> str:
    return exercise_id.split(".", 1)[-1]


def _solutions_table(figures: Figures, repeats: int) -> Table:
    table = _table(
        f"Grading each reference solution ({repeats} runs)", "exercise", "result", "median s", "max s"
    )
    for exercise_id, row in figures.items():
        table.add_row(exercise_id, ", ".join(row["outcomes"]), _s(row["median_s"]), _s(row["max_s"]))
    return table


def _phases_table(figures: Figures) -> Table:
    """Phases as rows, exercises as columns: narrow enough for an 80-column terminal."""
    table = _table("Where the time goes (median s per phase)", "phase", *map(_short, figures))
    for phase in (*PHASES, "other"):
        table.add_row(phase, *(_s(row["phases_median_s"][phase]) for row in figures.values()))
    table.add_row("total", *(_s(row["median_s"]) for row in figures.values()), style="bold")
    return table


def overhead(figures: Figures) -> Figures:
    """Per exercise: the grader's own time around the raw Docker work (build, script, checks)."""
    rows = {}
    for exercise_id, row in figures.items():
        work = sum(row["phases_median_s"][phase] for phase in ("build", "script", "checks"))
        total = row["median_s"]
        rows[exercise_id] = {"total_s": total, "docker_work_s": work, "overhead_s": total - work}
    return rows


def _overhead_table(rows: Figures) -> Table:
    keys = ("total_s", "docker_work_s", "overhead_s")
    table = _table("The grader's overhead per submission (median s)", "exercise", "total", "work", "overhead")
    for exercise_id, row in rows.items():
        table.add_row(_short(exercise_id), *(_s(row[key]) for key in keys))
    table.caption = "work: build + setup.sh + checks; overhead: lint, pack, sandbox start/close, image loads"
    return table


def main(console: Console | None = None, host: docker.DockerClient | None = None) -> Figures:
    """Every grading measurement, printed and returned."""
    console = console or Console()
    host = host or docker.from_env()
    return {
        "sandbox": sandbox_start(host, console),
        "image_load": image_loads(host, console),
        "solutions": solutions(host, console),
    }


if __name__ == "__main__":
    main()
