"""Grading a batch on a Dask cluster: the local pool's contract, other machines' engines.

The instructor's process sends each job with its submission's files (a tar) and alone writes the
results. A worker (`grader worker`) grades in a grading process of its own, with its machine's
engine and base images, and sends back the serialised Result and where it was graded. Each worker
process offers one slot of a resource named after its grader's version and exercise set, and each
task needs one: the scheduler hands a batch only to workers with the same grader (a task that
lands elsewhere refuses to run). A grading process that dies costs its submission an error, as in
the local pool; a worker that dies costs nothing: its job goes to another, up to
`distributed.scheduler.allowed-failures` times. A job whose worker lost its engine is handed back
once the engine answers and the run's leftovers are removed, and graded again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Collection
from pathlib import Path
from typing import Any

from grader.batch import batch
from grader.batch.batch import ENGINE_RETRIES, EngineLost, EngineWatch, Finish, Grade, Job
from grader.batch.workers import (
    GradingDied,
    graded_here,
    pack,
    remove_runs_here,
    resource,
)
from grader.host import engine
from grader.model.result import Result

CONNECT_S = 10  # to reach the scheduler, and for the client to get it back after a blip
WORKERS_WAIT_S = 60  # for a worker with this grader to join
CANCEL_REASON_S = 5  # to read why Dask cancelled a job (the client's loop answers)

KILLED = (
    "Every worker of the cluster that took this submission died while grading it (killed, out of "
    "memory), so it could not be graded. Grade it again with --regrade."
)


class ClusterUnavailable(engine.EngineUnavailable):
    """The scheduler cannot be reached, stopped answering, or has no worker with this grader."""

    summary = "The grading cluster is not available."


def security(certs: Path | None, role: str) -> Any:
    """Dask's TLS settings for `role` (scheduler, worker, client) from `grader cluster certs`' folder."""
    from distributed.security import Security

    if certs is None:
        return None
    key = {f"tls_{role}_cert": str(certs / f"{role}.pem"), f"tls_{role}_key": str(certs / f"{role}-key.pem")}
    return Security(require_encryption=True, tls_ca_file=str(certs / "ca.pem"), **key)


# -- the instructor's side ---------------------------------------------------------------------


def grade_all(
    jobs: list[Job],
    *,
    workers: int,
    on_result: Finish,
    grade: Grade = batch.grade_job,
    watch: EngineWatch | None = None,
    scheduler: str,
    certs: Path | None = None,
) -> list[tuple[Job, Result]]:
    """Grade every job on the cluster at `scheduler`, calling `on_result` as each one finishes.

    The contract of `batch.grade_all`: one result per job, a job cut short by an engine outage graded
    again, Ctrl-C removing what the runs left (on every worker). `workers` is unused: the cluster's
    slots are its workers'. Raises ClusterUnavailable when the scheduler cannot be reached or goes.
    """
    notify = (watch or EngineWatch(ping=lambda: True)).notify
    _quiet_dask()
    client = connect(scheduler, certs)
    try:
        wanted = resource()
        _wait_for_workers(client, wanted, notify)
        return _Run(client, grade, on_result, wanted).all(jobs)
    except BaseException:
        _stop_everywhere(client, jobs)
        raise
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)


def _quiet_dask() -> None:
    """Keep Dask's client logs (reconnecting, tracebacks) off the terminal: the batch says what matters.
    For the rest of the process: the client's event loop may still log once it has closed (the
    traceback of its cancelled reconnection to a scheduler that went away)."""
    import distributed  # noqa: F401  its import sets its loggers' levels: set them after it

    dask_loggers = [name for name in logging.root.manager.loggerDict if name.startswith("distributed.")]
    for name in ["distributed", *dask_loggers]:  # Dask's configuration gives some a level of their own
        logging.getLogger(name).setLevel(logging.CRITICAL)


def connect(scheduler: str, certs: Path | None) -> Any:
    """A Dask client of the scheduler; ClusterUnavailable, saying why, when it does not answer."""
    from distributed import Client

    if scheduler.startswith("tls://") and certs is None:
        raise ClusterUnavailable(f"{scheduler} is a TLS address: give --certs DIR (`grader cluster certs`).")
    try:
        return Client(scheduler, security=security(certs, "client"), timeout=CONNECT_S, set_as_default=False)
    except (OSError, TimeoutError) as failed:
        raise ClusterUnavailable(f"The scheduler at {scheduler} does not answer ({failed}).") from None


def _wait_for_workers(client: Any, wanted: str, notify: Any) -> None:
    """Return once a worker with this grader is there; say which workers are refused and why."""
    deadline = time.monotonic() + WORKERS_WAIT_S
    refused: set[str] = set()
    while True:
        found = client.scheduler_info(n_workers=-1)["workers"]
        fit = [address for address, info in found.items() if wanted in info.get("resources", {})]
        for address, info in found.items():
            if address not in fit and address not in refused:
                refused.add(address)
                theirs = ", ".join(info.get("resources", {})) or "no grading resource"
                notify(f"Worker {address} is refused: it offers {theirs}; this batch needs {wanted}.")
        if fit:
            return
        if time.monotonic() > deadline:
            raise ClusterUnavailable(
                f"No worker with this grader ({wanted}) joined within {WORKERS_WAIT_S} s: start "
                "`grader worker ADDRESS` on machines with the same grader and exercises."
            )
        time.sleep(1)


def slots(client: Any, wanted: str) -> float:
    """The grading slots the cluster's workers with this grader offer."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    return float(sum(info.get("resources", {}).get(wanted, 0) for info in workers))


class _Run:
    """One batch on the cluster: the futures in flight, the results, the engine outages met."""

    def __init__(self, client: Any, grade: Grade, on_result: Finish, wanted: str) -> None:
        self.client, self.grade, self.on_result, self.wanted = client, grade, on_result, wanted
        self.done: list[tuple[Job, Result]] = []
        self.losses: Counter[Job] = Counter()
        self.flights: dict[Any, Job] = {}

    def all(self, jobs: list[Job]) -> list[tuple[Job, Result]]:
        """Keep as many jobs in flight as the cluster has slots (so a worker that dies held only what
        it was grading), until each has its result."""
        from distributed import as_completed

        waiting = deque(jobs)
        pending = as_completed(loop=self.client.loop)
        self._top_up(waiting, pending)
        for future in pending:
            job = self.flights.pop(future)
            arrived = self._outcome(job, future)
            if arrived is None:
                waiting.appendleft(self._again(job))
            else:
                self._finish(*arrived)
            self._top_up(waiting, pending)
        return self.done

    def _finish(self, job: Job, result: Result) -> None:
        self.done.append((job, result))
        self.on_result(job, result)

    def _top_up(self, waiting: deque[Job], pending: Any) -> None:
        """Hand jobs over up to the slots the cluster offers now (one at least, when none is in flight);
        a submission whose files cannot be read (gone since planning) gets its error at once."""
        free = max(1, int(slots(self.client, self.wanted))) - len(self.flights)
        while free > 0 and waiting:
            job = waiting.popleft()
            try:
                files = pack(job.folder)
            except OSError as unreadable:
                self._finish(job, batch.error(job.exercise_id, job.folder, f"Unreadable: {unreadable}"))
                continue
            pending.add(self._submit(job, files))
            free -= 1

    def _submit(self, job: Job, files: bytes) -> Any:
        attempt = self.losses[job]
        future = self.client.submit(
            graded_here,
            self.grade,
            job,
            files,
            self.wanted,
            key=f"grade-{job.run_id}-{attempt}",
            resources={self.wanted: 1},
            pure=False,
        )
        self.flights[future] = job
        return future

    def _again(self, job: Job) -> Job:
        """A job whose worker lost its engine, to grade again; stop after ENGINE_RETRIES such losses."""
        self.losses[job] += 1
        if self.losses[job] > ENGINE_RETRIES:
            raise engine.EngineUnavailable(
                f"The workers' Docker engines stopped answering {ENGINE_RETRIES} times while "
                f"{job.student}'s {job.exercise_id} was graded, so the batch stopped. Run it again."
            )
        return job

    def _outcome(self, job: Job, future: Any) -> tuple[Job, Result] | None:
        """The job, with where it was graded, and its result; None to grade it again."""
        from distributed import KilledWorker

        if future.status == "finished":
            text, origin = future.result()
            return dataclasses.replace(job, origin=origin), Result.from_dict(json.loads(text))
        if future.status != "error":  # cancelled: the scheduler went away, or dropped the job
            raise ClusterUnavailable(
                f"The scheduler at {self.client.scheduler.address} stopped answering, so the batch "
                "stopped; the results so far are saved. Start it and the workers, then run it again. "
                f"(Dask: {_cancelled_because(future)})"
            )
        failed = future.exception()
        if isinstance(failed, EngineLost):
            return None
        if isinstance(failed, GradingDied):
            return job, batch.error(job.exercise_id, job.folder, batch.DIED)
        if isinstance(failed, KilledWorker):
            return job, batch.error(job.exercise_id, job.folder, KILLED)
        return job, batch.error(job.exercise_id, job.folder, f"{failed}")


def _stop_everywhere(client: Any, jobs: Collection[Job]) -> None:
    """Stop what the cluster grades for this batch and remove what its runs left on every worker.

    The workers are restarted (their nannies end the processes), so no grading of this batch goes on
    making sandboxes; then every worker removes these runs, twice, as the local pool does.
    """
    if client.status != "running":
        return  # the scheduler is gone: each worker's `grader gc` finds the orphans
    run_ids = {job.run_id for job in jobs}
    with contextlib.suppress(Exception):
        client.restart(timeout=30, wait_for_workers=False)
    for _ in range(2):
        with contextlib.suppress(Exception):
            client.run(remove_runs_here, run_ids)
        time.sleep(batch.SETTLE_S)


def _cancelled_because(future: Any) -> str:
    """Why Dask says it cancelled `future` (its FutureCancelledError's words)."""
    from distributed.client import FutureCancelledError

    try:
        future.result(timeout=CANCEL_REASON_S)
    except FutureCancelledError as cancelled:
        return str(cancelled).strip() or "cancelled"
    except Exception as other:  # not cancelled after all: say what it is
        return f"{type(other).__name__}: {other}"
    return str(future.status)
