"""`python -m benchmarks.engines` (part of `make bench`): every exercise's reference solution and known
variant graded on each sandbox engine (26.1 on trixie, 28.5 on sid, 29.7 built from source) and each image
store, through the real grader; per engine and store, how many came out as expected (a solution at full
marks, a variant failing exactly its items) and how long it took. An engine whose image is missing is left
out, saying how to make it (`grader images prepare --engine 28`, benchmarks/engine29/build.sh); the
README's supported versions quote these figures.

    python -m benchmarks.engines [--engine 29] [--store containerd] [--only dockerfiles.hello] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from rich.console import Console
from rich.table import Table

from grader.grading.grade import grade
from grader.host import engine
from grader.host.baseimages import image_or_none, sandbox_engine
from grader.model.exercise import ROOT, all_exercises, load
from grader.sandbox import stores

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

VARIANTS = ROOT / "tests" / "exercises" / "variants"


@dataclass(frozen=True)
class Case:
    """One submission and the rubric items it must fail (none for a solution)."""

    name: str
    exercise: str
    folder: Path
    fails: frozenset[str]


def cases(only: str = "") -> list[Case]:
    """Every solution and variant, or those of exercise `only`."""
    found = [
        Case(f"{ex.id}/solution", ex.id, ex.solution, frozenset())
        for ex in all_exercises()
        if ex.solution.is_dir()
    ]
    for expected in sorted(VARIANTS.glob("*/*/expected.toml")):
        fails = frozenset(tomllib.loads(expected.read_text())["fails"])
        exercise = expected.parent.parent.name
        found.append(Case(f"{exercise}/{expected.parent.name}", exercise, expected.parent, fails))
    return [case for case in found if not only or case.exercise == only]


def outcome(case: Case) -> tuple[str, str]:
    """(case name, "" when graded as expected, else what differed): one grading, in a worker."""
    result = grade(load(case.exercise), case.folder)
    if result.status != "graded":
        return case.name, f"{result.status}: {result.reason}"[:300]
    failed = {check.name for check in result.checks if not check.passed}
    if failed == case.fails:
        return case.name, ""
    return case.name, f"failed {sorted(failed - case.fails)}, passed {sorted(case.fails - failed)}"


def _choose(image: str, store: str) -> None:
    os.environ[sandbox_engine.VARIABLE] = image
    os.environ[stores.VARIABLE] = store


def run(major: str, store: str, chosen: list[Case], workers: int, image: str = "") -> dict[str, Any]:
    """Grade `chosen` on engine `major` (its image, or `image` made from its recipe) with `store`,
    `workers` at once: counts, seconds, differences."""
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_choose, initargs=(image or major, store)) as pool:
        outcomes = dict(pool.map(outcome, chosen))
    seconds = time.perf_counter() - started
    differences = {name: found for name, found in outcomes.items() if found}
    return {
        "engine": major,
        "docker": sandbox_engine.MEASURED[major].versions()["docker"],
        "store": store,
        "cases": len(chosen),
        "as_expected": len(chosen) - len(differences),
        "seconds": round(seconds, 1),
        "differences": differences,
    }


def missing(host: docker.DockerClient, major: str, image: str = "") -> str:
    """Why engine `major` cannot be measured here ("" when its image is present)."""
    wanted = image or sandbox_engine.MEASURED[major].tag
    if image_or_none(host, wanted) is None:
        return f"engine {major}: no image; make it with `{sandbox_engine.prepare_command(wanted)}`"
    return ""


def table(rows: list[dict[str, Any]]) -> Table:
    shown = Table(title="Solutions and variants graded as expected, per sandbox engine and image store")
    for column in ("Engine", "Docker", "Store", "As expected", "Seconds", "s/submission"):
        shown.add_column(column, no_wrap=True)
    for row in rows:
        per = row["seconds"] / max(row["cases"], 1)
        counts = f"{row['as_expected']}/{row['cases']}"
        docker = row["docker"].split("+")[0]  # without Debian's revision
        shown.add_row(row["engine"], docker, row["store"], counts, f"{row['seconds']:.0f}", f"{per:.1f}")
    return shown


def main(
    console: Console,
    engines: list[str] | None = None,
    store_names: list[str] | None = None,
    only: str = "",
    workers: int = 2,
    images: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Measure each available engine (its image, or the one `images` gives it) on each store, print the
    table and the differences."""
    images = images or {}
    host, chosen = engine.connect(), cases(only)
    rows, skipped = [], []
    for major in engines or list(sandbox_engine.MEASURED):
        reason = missing(host, major, images.get(major, ""))
        if reason:
            skipped.append(reason)
            continue
        for store in store_names or list(stores.STORES):
            rows.append(run(major, store, chosen, workers, images.get(major, "")))
    console.print(table(rows))
    for reason in skipped:
        console.print(f"Not measured: {reason}")
    for row in rows:
        for name, found in row["differences"].items():
            console.print(f"engine {row['engine']}, {row['store']}: {name}: {found}")
    return {"rows": rows, "skipped": skipped}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", action="append", choices=list(sandbox_engine.MEASURED))
    parser.add_argument("--store", action="append", choices=list(stores.STORES))
    parser.add_argument("--only", default="", help="one exercise's solution and variants")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument("--image", action="append", default=[], help="MAJOR=IMAGE: an engine built elsewhere")
    options = parser.parse_args()
    images = dict(pair.split("=", 1) for pair in options.image)
    figures = main(Console(), options.engine, options.store, options.only, options.workers, images)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
