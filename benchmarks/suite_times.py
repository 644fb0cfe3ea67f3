"""The test suite's wall time by tier: `python -m benchmarks.suite_times` (`make bench-suite`).

1. `make check`'s tier: the tests that need no Docker engine, in one process;
2. the Docker tier: the tests that need the engine, with four workers sharing it as `make test`
   runs them (tests/sharing.py);
3. with `--serial`, the Docker tier again in one process.

Other arguments go to pytest.
Each tier runs in a fresh pytest process; the table gives its wall time and pytest's own counts.
The figures depend on what else the machine and its engine are doing at the time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from grader.model.exercise import ROOT

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--durations=0"]
PARALLEL = ["-n", "4", "--dist", "loadgroup", "--no-loadscope-reorder"]
"""Four workers sharing the engine, as `make test` runs them (the Makefile's PARALLEL)."""
TIERS = {
    "no engine (make check)": ["-m", "not docker"],
    "Docker engine, four workers (make test)": ["-m", "docker", *PARALLEL],
}
SERIAL_TIER = {"Docker engine, one process": ["-m", "docker"]}
SUMMARY = re.compile(r"^=* ?(\d+ (?:passed|failed|error|deselected).*?) in [\d.]+s", re.MULTILINE)


@dataclass(frozen=True)
class Tier:
    """One tier's run: its name, wall time, pytest's summary line and exit code."""

    name: str
    wall_s: float
    summary: str
    exit_code: int


def run_tier(name: str, options: list[str], extra: list[str]) -> Tier:
    """Run one tier in its own pytest process and time it."""
    started = time.perf_counter()
    done = subprocess.run([*PYTEST, *options, *extra], cwd=ROOT, capture_output=True, text=True)
    wall_s = time.perf_counter() - started
    return Tier(name, wall_s, summary_of(done.stdout), done.returncode)


def summary_of(output: str) -> str:
    """pytest's last summary line (`2255 passed, 1 skipped`), or a note that there was none."""
    found = SUMMARY.findall(output)
    return found[-1] if found else "no summary (see pytest's output)"


def minutes(seconds: float) -> str:
    """`12 min 05 s` for a wall time."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s"


def table(tiers: list[Tier]) -> Table:
    """The tiers' wall times and counts, with their total."""
    shown = Table(title="The test suite's wall time by tier")
    for column in ("tier", "wall time", "tests", "exit code"):
        shown.add_column(column)
    for tier in tiers:
        shown.add_row(tier.name, minutes(tier.wall_s), tier.summary, str(tier.exit_code))
    shown.add_row("total", minutes(sum(tier.wall_s for tier in tiers)), "", "")
    return shown


def main(extra: list[str] | None = None, console: Console | None = None) -> list[Tier]:
    """Run every tier (with `extra` pytest options), print the table and return the runs."""
    console = console or Console()
    extra = list(extra or [])
    tiers, chosen = [], dict(TIERS)
    if "--serial" in extra:
        extra.remove("--serial")
        chosen.update(SERIAL_TIER)
    for name, options in chosen.items():
        console.print(f"Running the tier '{name}'…")
        tiers.append(run_tier(name, options, extra))
    console.print(table(tiers))
    return tiers


if __name__ == "__main__":
    sys.exit(max(tier.exit_code for tier in main(sys.argv[1:])))
