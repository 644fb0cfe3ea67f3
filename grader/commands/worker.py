"""`grader worker` and `grader cluster`: a grading cluster's workers, scheduler and certificates.

Both servers are Dask's own (`dask worker`, `dask scheduler`), started with what grading needs: a
worker checks first that this machine can grade (its engine answers, its base images are there),
then runs one single-threaded process per grading slot, with grader.batch.workers preloaded (`dask_setup`)
to offer the slots under its grader's version and exercise set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from grader import __version__
from grader.batch import batch, certs, workers


def worker(address: str, *, nthreads: int | None, cert_dir: Path | None, extra: Sequence[str] = ()) -> int:
    """Check this machine, then become a Dask worker of `address` with `nthreads` grading slots."""
    console = Console(stderr=True)
    problems = workers.readiness()
    if problems:
        for problem in problems:
            console.print(f"This machine cannot grade: {problem}", style="red", markup=False, highlight=False)
        return 1
    slots = nthreads or batch.default_workers()
    console.print(
        f"Grader {__version__}, exercises {workers.exercises_digest()}: {slots} grading slots for {address}.",
        markup=False,
        highlight=False,
    )
    arguments = [address, "--nworkers", str(slots), "--nthreads", "1", "--memory-limit", "0"]
    arguments += ["--no-dashboard", "--preload", workers.__name__, *_tls(cert_dir, "worker"), *extra]
    os.environ["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"  # each worker has a grading process
    _become("distributed.cli.dask_worker", arguments)
    return 0  # not reached


def scheduler(*, host: str, port: int, cert_dir: Path | None, extra: Sequence[str] = ()) -> int:
    """Become a Dask scheduler on `host:port` (TLS with `cert_dir`), without its web dashboard."""
    arguments = ["--host", host, "--port", str(port), "--no-dashboard", *_tls(cert_dir, "scheduler"), *extra]
    _become("distributed.cli.dask_scheduler", arguments)
    return 0  # not reached


def make_certs(folder: Path) -> int:
    """Write a CA and the scheduler's, workers' and client's keys and certificates into `folder`."""
    for path in certs.make(folder):
        print(path)
    print(
        f"Give {folder}/ca.pem and the scheduler's, worker's or client's pair to each machine "
        "(`--certs DIR`); keep ca-key.pem to yourself."
    )
    return 0


def _tls(cert_dir: Path | None, role: str) -> list[str]:
    if cert_dir is None:
        return []
    return [
        "--protocol",
        "tls",
        "--tls-ca-file",
        str(cert_dir / "ca.pem"),
        "--tls-cert",
        str(cert_dir / f"{role}.pem"),
        "--tls-key",
        str(cert_dir / f"{role}-key.pem"),
    ]


def _become(module: str, arguments: list[str]) -> None:
    """Replace this process with `python -m module arguments` (its signals, its exit status)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", module, *arguments])
