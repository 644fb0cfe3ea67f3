"""`grader worker` and `grader cluster`: a grading cluster's workers, scheduler and certificates.

Both servers are Dask's own (`dask worker`, `dask scheduler`), started with what grading needs: a
worker checks first that this machine can grade (its engine answers, its base images are there),
then runs one single-threaded process per grading slot, with this module preloaded (`dask_setup`)
to offer the slots under its grader's version and exercise set.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from grader import __version__
from grader.batch import batch, certs, cluster, provenance
from grader.host import engine
from grader.model import exercise

SCHEDULER_PORT = 8786
logger = logging.getLogger(__name__)


def worker(address: str, *, nthreads: int | None, cert_dir: Path | None, extra: Sequence[str] = ()) -> int:
    """Check this machine, then become a Dask worker of `address` with `nthreads` grading slots."""
    console = Console(stderr=True)
    problems = readiness()
    if problems:
        for problem in problems:
            console.print(f"This machine cannot grade: {problem}", style="red", markup=False, highlight=False)
        return 1
    slots = nthreads or batch.default_workers()
    console.print(
        f"Grader {__version__}, exercises {cluster.exercises_digest()}: {slots} grading slots for {address}.",
        markup=False,
        highlight=False,
    )
    arguments = [address, "--nworkers", str(slots), "--nthreads", "1", "--memory-limit", "0"]
    arguments += ["--no-dashboard", "--preload", "grader.commands.worker", *_tls(cert_dir, "worker"), *extra]
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


def readiness() -> list[str]:
    """What keeps this machine from grading: an engine that does not answer, missing base images."""
    try:
        host = engine.connect(start=False, install=False)
    except batch.ENGINE_GONE as gone:
        return [f"The Docker engine does not answer: {gone}"]
    images = provenance.base_images(host, exercise.all_exercises())
    missing = [name for name, found in images.items() if not found]
    if not provenance.tools(host)["sandbox_engine"]:
        missing.append("the sandbox engine")
    return [f"Missing base images: {', '.join(missing)}. Run `grader images prepare`."] if missing else []


def dask_setup(worker: Any) -> None:
    """`dask worker --preload grader.commands.worker`: before the worker joins, check that this
    machine can grade and offer a grading slot per thread; one that cannot offers none, saying why."""
    problems = readiness()
    if problems:
        logger.error("This worker takes no grading: %s", " ".join(problems))
        return
    slots = float(worker.state.nthreads)
    worker.state.total_resources[cluster.resource()] = slots
    worker.state.available_resources[cluster.resource()] = slots


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
