"""What the sandbox's hardening costs per submission: today's sandbox beside one as it was before.

Hardened is the sandbox as the grader starts it (a user namespace where the machine allows it,
Docker's default capabilities plus three, the seccomp profile, a network of its own). Relaxed
is the sandbox before the hardening (every capability but SYS_RESOURCE, no seccomp, the
default bridge, no user namespace): a subclass that exists only here, reachable from no command.
Both grade each exercise's reference solution, interleaved (A, B, A, B...) so that whatever else
the machine is doing weighs on both alike.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import docker
from rich.console import Console
from rich.table import Table

from grader.grading import grade_image, grade_setup
from grader.grading.grade import grade
from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.host.userns import userns_support
from grader.model.exercise import Exercise, all_exercises
from grader.sandbox.sandbox import Sandbox

REPEATS = 2  # per exercise and setting: 10 exercises x 2 x 2 gradings, about 2 minutes on 2 cores
STARTS = 5
SETTINGS = ("hardened", "relaxed")
Figures = dict[str, Any]


class RelaxedSandbox(Sandbox):
    """The sandbox before its hardening, for this comparison only: never grade with it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "userns": False})

    def _confinement(self) -> dict[str, Any]:
        return {
            "network": "bridge",
            "cap_add": ["ALL"],
            "cap_drop": ["SYS_RESOURCE"],
            "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
        }


SANDBOXES: dict[str, type[Sandbox]] = {"hardened": Sandbox, "relaxed": RelaxedSandbox}


@contextlib.contextmanager
def _graded_with(kind: type[Sandbox]) -> Iterator[None]:
    """Let `grade()` start sandboxes of `kind` for the length of the block."""
    with contextlib.ExitStack() as patches:
        for recipe in (grade_image, grade_setup):
            patches.enter_context(mock.patch.object(recipe, "Sandbox", kind))
        yield


def _grade_once(exercise: Exercise, host: docker.DockerClient, setting: str) -> tuple[float, str]:
    with _graded_with(SANDBOXES[setting]):
        started = time.perf_counter()
        result = grade(exercise, exercise.solution, host=host)
        took = time.perf_counter() - started
    return took, f"{result.status} {result.score:g}/{result.max_score:g}"


def _start_once(host: docker.DockerClient, setting: str) -> float:
    sandbox = SANDBOXES[setting](host, sandbox_engine.TAG, run_id=labels.new_run_id())
    started = time.perf_counter()
    try:
        sandbox.start()
        return time.perf_counter() - started
    finally:
        sandbox.close()


def starts(host: docker.DockerClient, count: int = STARTS) -> Figures:
    """A sandbox's start until its engine answers, each setting `count` times, interleaved."""
    samples: dict[str, list[float]] = {setting: [] for setting in SETTINGS}
    for _ in range(count):
        for setting in SETTINGS:
            samples[setting].append(_start_once(host, setting))
    return {setting: statistics.median(values) for setting, values in samples.items()}


def solutions(host: docker.DockerClient, repeats: int = REPEATS) -> Figures:
    """Each exercise's solution graded `repeats` times per setting, interleaved: medians and outcomes."""
    figures: Figures = {}
    for exercise in all_exercises():
        if not exercise.solution.is_dir():
            continue
        samples: dict[str, list[float]] = {setting: [] for setting in SETTINGS}
        outcomes: dict[str, set[str]] = {setting: set() for setting in SETTINGS}
        for _ in range(repeats):
            for setting in SETTINGS:
                took, outcome = _grade_once(exercise, host, setting)
                samples[setting].append(took)
                outcomes[setting].add(outcome)
        figures[exercise.id] = {
            **{f"{setting}_s": statistics.median(samples[setting]) for setting in SETTINGS},
            "outcomes": {setting: sorted(found) for setting, found in outcomes.items()},
        }
    return figures


def summary(per_exercise: Figures) -> Figures:
    """The mean per submission over the exercises, each setting, and what the hardening adds."""
    means = {
        setting: statistics.mean(row[f"{setting}_s"] for row in per_exercise.values()) for setting in SETTINGS
    }
    return {
        **{f"{setting}_s": value for setting, value in means.items()},
        "added_s": means["hardened"] - means["relaxed"],
    }


def _table(start: Figures, per_exercise: Figures, overall: Figures) -> Table:
    table = Table(title=f"What the hardening costs (median s, {REPEATS} runs each, interleaved)")
    for index, column in enumerate(("", "hardened", "relaxed", "added", "same result")):
        table.add_column(column, justify="left" if index == 0 else "right")
    table.add_row("sandbox start", *_cells(start["hardened"], start["relaxed"]), "")
    for exercise_id, row in per_exercise.items():
        same = "yes" if row["outcomes"]["hardened"] == row["outcomes"]["relaxed"] else "NO"
        table.add_row(exercise_id, *_cells(row["hardened_s"], row["relaxed_s"]), same)
    table.add_row(
        "per submission (mean)", *_cells(overall["hardened_s"], overall["relaxed_s"]), "", style="bold"
    )
    return table


def _cells(hardened: float, relaxed: float) -> tuple[str, str, str]:
    return f"{hardened:.2f}", f"{relaxed:.2f}", f"{hardened - relaxed:+.2f}"


def main(console: Console | None = None, host: docker.DockerClient | None = None) -> Figures:
    """Measure both settings, print the comparison, and return the figures."""
    console = console or Console()
    host = host or docker.from_env()
    obstacle = userns_support(host)
    start = starts(host)
    per_exercise = solutions(host)
    overall = summary(per_exercise)
    table = _table(start, per_exercise, overall)
    userns = f"off here: {obstacle}" if obstacle else "on"
    table.caption = (
        f"hardened: user namespace {userns}, caps and seccomp, own network; relaxed: as before them"
    )
    console.print(table)
    return {"userns": userns, "start_s": start, "solutions": per_exercise, "per_submission": overall}


if __name__ == "__main__":
    main()
