"""`grader doctor`: can this machine run the course and the grader? Each problem with its fix."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.exit_codes import Exit
from grader.host.doctor import Check, run_checks


def main(*, as_json: bool) -> int:
    """Print the report; 1 when something required is missing."""
    checks, facts = run_checks()
    healthy = all(check.ok or not check.required for check in checks)
    if as_json:
        report = {"ok": healthy, "engine": facts, "checks": [asdict(c) for c in checks]}
        print(json.dumps(report, indent=2))
    else:
        _print_table(checks)
    return Exit.OK if healthy else Exit.FAILED


def _print_table(checks: list[Check]) -> None:
    table = Table(title="grader doctor")
    table.add_column("Check", overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail")
    table.add_column("Fix")
    for check in checks:
        status = "[green]ok[/green]" if check.ok else _problem(check)
        table.add_row(check.name, status, Text(check.detail), Text("" if check.ok else check.fix))
    Console().print(table)


def _problem(check: Check) -> str:
    return "[red]PROBLEM[/red]" if check.required else "[yellow]warning[/yellow]"
