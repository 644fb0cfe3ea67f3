"""What one check costs: stock testinfra's docker backend, a bare `docker exec`, and ShellBackend.

A check is one `host.file(...).exists` or one `host.run(...)`. Run `python -m
benchmarks.checks_bench`, or call `main()`, which prints a table and returns the figures (ms).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import docker
import testinfra
import testinfra.host
from rich.console import Console
from rich.table import Table

from grader.checks.backend import host_for, make_probe_dir, probe_mount
from grader.host.labels import new_run_id, run_labels
from grader.sandbox.paths import PROBE_BUSYBOX

IMAGE = "debian:bookworm-slim"
STOCK_CHECKS = 50
EXEC_CALLS = 30
SHELL_CHECKS = 2000
EXERCISE_CHECKS = 25
"""About as many checks as one exercise makes."""


def _ms_per_call(action: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - started) * 1000 / count


def _checks(host: testinfra.host.Host, count: int) -> None:
    """`count` checks, alternating a file test and a command."""
    for index in range(count):
        if index % 2:
            assert host.run("true").rc == 0
        else:
            assert host.file("/etc/passwd").exists


def _stock(container: str) -> float:
    host = testinfra.get_host(f"docker://{container}")
    assert host.file("/etc/passwd").exists  # loads the file module (system_info) first
    return _ms_per_call(lambda: host.file("/etc/passwd").exists, STOCK_CHECKS)


def _docker_exec(container: str) -> float:
    command = ["docker", "exec", container, "true"]
    return _ms_per_call(lambda: subprocess.run(command, check=True), EXEC_CALLS)


def _shell_session(api: docker.APIClient, container: str, checks: int) -> tuple[float, float]:
    """(ms to open the shell and make the first check, ms for all checks) of a fresh host."""
    started = time.perf_counter()
    host = host_for(api, container)
    try:
        _checks(host, 1)
        opened = time.perf_counter()
        _checks(host, checks - 1)
        return (opened - started) * 1000, (time.perf_counter() - started) * 1000
    finally:
        host.backend.close()


def _shell(api: docker.APIClient, container: str) -> dict[str, float]:
    open_ms, total_ms = _shell_session(api, container, SHELL_CHECKS)
    _, exercise_ms = _shell_session(api, container, EXERCISE_CHECKS)
    return {
        "shell_open_ms": open_ms,
        "shell_ms": (total_ms - open_ms) / (SHELL_CHECKS - 1),
        "shell_amortised_ms": total_ms / SHELL_CHECKS,
        "shell_exercise_ms": exercise_ms / EXERCISE_CHECKS,
    }


def _start(api: docker.APIClient, probe_dir: Path) -> str:
    name = f"grader-bench-{uuid.uuid4().hex[:8]}"
    api.create_container(
        IMAGE,
        name=name,
        entrypoint=[PROBE_BUSYBOX, "sleep", "3600"],
        command=[],
        labels=run_labels(new_run_id()),
        host_config=api.create_host_config(mounts=[probe_mount(str(probe_dir))]),
    )
    api.start(name)
    return name


def _table(figures: dict[str, float]) -> Table:
    table = Table(title=f"Cost of one check on {IMAGE}")
    for column, justify in (("backend", "left"), ("checks", "right"), ("ms per check", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    rows = (
        ("stock testinfra docker backend", STOCK_CHECKS, "stock_testinfra_ms"),
        ("bare `docker exec <c> true` (floor of exec per command)", EXEC_CALLS, "docker_exec_ms"),
        ("ShellBackend, shell already open", SHELL_CHECKS, "shell_ms"),
        ("ShellBackend, opening the shell + first check", 1, "shell_open_ms"),
        ("ShellBackend amortised, opening included", SHELL_CHECKS, "shell_amortised_ms"),
        ("ShellBackend amortised, one exercise", EXERCISE_CHECKS, "shell_exercise_ms"),
    )
    for label, count, key in rows:
        table.add_row(label, str(count), f"{figures[key]:.2f}")
    table.caption = f"ShellBackend is {figures['speedup']:.0f}x faster per check than stock"
    return table


def main() -> dict[str, float]:
    """Measure, print a table, and return the figures in ms per check."""
    api = docker.APIClient()
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        container = _start(api, make_probe_dir(Path(tmp)))
        try:
            figures = {
                "stock_testinfra_ms": _stock(container),
                "docker_exec_ms": _docker_exec(container),
                **_shell(api, container),
            }
        finally:
            api.remove_container(container, force=True)
            api.close()
    figures["speedup"] = figures["stock_testinfra_ms"] / figures["shell_ms"]
    Console().print(_table(figures))
    return figures


if __name__ == "__main__":
    main()
