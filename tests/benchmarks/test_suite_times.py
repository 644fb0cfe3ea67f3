"""The suite-times script: each tier runs in its own pytest, and its wall time is read right."""

from __future__ import annotations

from benchmarks.suite_times import PARALLEL, Tier, minutes, run_tier, summary_of, table
from grader.model.exercise import ROOT
from tests.results import terminal_output


def test_pytest_s_summary_line_is_read() -> None:
    output = "...\n===== 2255 passed, 1 skipped, 519 deselected in 95.20s (0:01:35) =====\n"
    assert summary_of(output) == "2255 passed, 1 skipped, 519 deselected"
    assert summary_of("Traceback (most recent call last):") == "no summary (see pytest's output)"


def test_wall_times_read_in_minutes_and_seconds() -> None:
    assert [minutes(s) for s in (0.4, 65, 905.6)] == ["0 min 00 s", "1 min 05 s", "15 min 06 s"]


def test_the_table_adds_the_tiers_up() -> None:
    tiers = [Tier("no engine", 90, "2255 passed", 0), Tier("Docker engine", 600, "519 passed", 1)]
    shown = terminal_output(table(tiers))
    assert "11 min 30 s" in shown and "519 passed" in shown


def test_a_tier_runs_in_its_own_pytest_and_is_timed() -> None:
    tier = run_tier("one file", ["-m", "not docker"], ["tests/test_safe_text.py", "-k", "not hypothesis"])
    assert tier.exit_code == 0, tier.summary
    assert " passed" in tier.summary and tier.wall_s > 0


def test_the_docker_tier_runs_as_make_test_does() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"PARALLEL := {' '.join(PARALLEL)}\n" in makefile
