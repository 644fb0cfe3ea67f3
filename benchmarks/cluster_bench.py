"""Grading the generated class on a Dask cluster on this machine, beside the local pool.

A scheduler and two workers (`grader cluster scheduler`, `grader worker --nthreads 1`) run here
as processes of their own, on loopback; the same class of 40 is graded by the local pool with two
processes, then by the cluster's two slots. Per submission, `overhead_s` is what a grading slot
spent on it besides grading itself: wall time × slots ÷ submissions − the mean grading time
(handing the job over, the files there and the result back, scheduling). `startup_s` is how long
the cluster took to offer its slots.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.class_bench import CLASS_SIZE, grade_class, make_class
from grader.batch import cluster
from grader.batch.workers import resource

GRADER = Path(sys.executable).parent / "grader"
SLOTS = 2
START_S = 120
STOP_S = 20

Figures = dict[str, object]


def main(console: Console, size: int = CLASS_SIZE) -> Figures:
    """Grade a generated class of `size` with the local pool and with a 2-worker cluster; the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as temporary:
        folder = make_class(Path(temporary) / "class", size)
        figures: Figures = {"local pool, 2 processes": grade(folder)}
        started = time.perf_counter()
        with local_cluster(Path(temporary), SLOTS) as address:
            startup = time.perf_counter() - started
            figures["cluster, 2 workers"] = {**grade(folder, address), "startup_s": startup}
    console.print(_table(figures, size))
    console.print(f"The cluster offered its {SLOTS} slots {startup:.1f} s after its processes were started.")
    return figures


def grade(folder: Path, scheduler: str | None = None) -> dict[str, object]:
    """Grade every submission of `folder` with two slots, here or on the cluster; the figures."""
    return grade_class(folder, SLOTS, scheduler)


@contextlib.contextmanager
def local_cluster(logs: Path, workers: int) -> Iterator[str]:
    """A scheduler and `workers` one-slot workers on loopback, stopped on the way out; its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    commands = [["cluster", "scheduler", "--host", "127.0.0.1", "--port", str(port)]]
    commands += [["worker", address, "--nthreads", "1"]] * workers
    processes = [_start(command, logs / f"cluster-{number}.log") for number, command in enumerate(commands)]
    try:
        _wait_for_slots(address, workers)
        yield address
    finally:
        _stop(processes)


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([str(GRADER), *command], stdout=output, stderr=output, start_new_session=True)


def _wait_for_slots(address: str, slots: int) -> None:
    client = cluster.connect(address, None)
    try:
        deadline = time.monotonic() + START_S
        wanted = resource()
        while True:
            workers = client.scheduler_info(n_workers=-1)["workers"].values()
            if sum(info.get("resources", {}).get(wanted, 0) for info in workers) >= slots:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"The cluster did not offer {slots} grading slots within {START_S} s.")
            time.sleep(0.5)
    finally:
        client.close()


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group, workers first; SIGKILL what lingers."""
    for process in reversed(processes):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_S)


def _table(figures: Figures, size: int) -> Table:
    table = Table(title=f"The generated class of {size} on two slots: here, and on a cluster on this machine")
    for column in ("how", "wall s", "per min", "median s", "p95 s", "overhead s", "errors"):
        table.add_column(column, justify="left" if column == "how" else "right")
    for how, row in figures.items():
        assert isinstance(row, dict)
        table.add_row(
            how,
            f"{row['wall_s']:.1f}",
            f"{row['per_minute']:.1f}",
            f"{row['median_s']:.1f}",
            f"{row['p95_s']:.1f}",
            f"{row['overhead_s']:.2f}",
            str(row["errors"]),
        )
    table.caption = "overhead: a slot's time per submission besides grading it (hand-over, files, result)"
    return table


if __name__ == "__main__":
    main(Console())
