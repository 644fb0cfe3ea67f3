"""Grading many submissions at once, each in its own sandbox, in worker processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import docker
import docker.errors

from grader.batch import defaults, layout
from grader.errors import Interrupted
from grader.grading.grade import grade
from grader.host import engine, labels
from grader.model import exercise
from grader.model.result import Result
from grader.sandbox import sandbox

SANDBOX_MEMORY_GB = 3
STOP_TIMEOUT_S = 10
SETTLE_S = 1.0  # for the engine to finish what stopped workers asked for
ENGINE_WAIT_S = defaults.ENGINE_WAIT_S  # how long a batch waits for an engine that stopped answering
ENGINE_POLL_S = 1.0
ENGINE_RETRIES = 3  # outages one submission may meet before the batch gives up
PING_TIMEOUT_S = 5
ENGINE_GONE = (engine.EngineUnavailable, docker.errors.DockerException, OSError)


@dataclass(frozen=True)
class Job:
    """One student's submission of one exercise."""

    student: str
    exercise_id: str
    folder: Path
    run_id: str
    # where a cluster's worker graded it (its machine, tools, base images): what the record keeps
    origin: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


Grade = Callable[[Job], Result]
Finish = Callable[[Job, Result], None]


def discover(root: Path) -> list[Job]:
    """Every `<root>/<student>/<exercise-id>/` folder whose exercise exists."""
    known = [item.id for item in exercise.all_exercises()]
    found = layout.found_exercises(root, known)
    return jobs_of(layout.discover(root, found).submissions) if found else []


def jobs_of(submissions: Iterable[layout.Submission]) -> list[Job]:
    """A job, with a run id of its own, for each submission."""
    return [Job(s.student, s.exercise_id, s.folder, labels.new_run_id()) for s in submissions]


def default_workers() -> int:
    """As many sandboxes as the cores and the memory allow, at least one."""
    cores = os.cpu_count() or 1
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return max(1, min(cores, int(memory_gb // SANDBOX_MEMORY_GB)))


class EngineLost(Interrupted):
    """A worker could not reach the engine: the job is graded again once the engine answers."""


def grade_job(job: Job) -> Result:
    """Grade one job; a result comes back, unless the engine cannot be reached at all (EngineLost)."""
    try:
        host = engine.connect(start=False, install=False)  # a restarting engine is waited for, not started
    except ENGINE_GONE as unreachable:
        raise EngineLost(str(unreachable)) from None
    try:
        result = grade(exercise.load(job.exercise_id), job.folder, host=host, run_id=job.run_id)
    except Exception as failed:
        result = _error(job, f"{failed}")
    if result.status == "error" and not _answers(host):  # it failed because the engine went away
        raise EngineLost(result.reason)
    return result


def _answers(host: docker.DockerClient) -> bool:
    try:
        return bool(host.ping())
    except ENGINE_GONE:
        return False


class EngineWatch:
    """The host's Docker engine as a batch sees it: whether it answers, and how often it stopped."""

    def __init__(
        self,
        *,
        wait_s: float = ENGINE_WAIT_S,
        ping: Callable[[], bool] | None = None,
        notify: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.wait_s = wait_s
        self.notify = notify
        self.up = True
        self.outages = 0
        self._ping = ping or self._ping_engine

    def check(self) -> bool:
        """Ask the engine now; an engine that stops answering counts one outage."""
        answers = self._ping()
        if self.up and not answers:
            self.outages += 1
            self.notify(f"The Docker engine stopped answering: waiting up to {self.wait_s:.0f} s for it.")
        self.up = answers
        return answers

    def wait(self) -> None:
        """Return once the engine answers; raise EngineUnavailable when it has not within `wait_s`."""
        deadline = time.monotonic() + self.wait_s
        while not self.check():
            if time.monotonic() >= deadline:
                raise engine.EngineUnavailable(
                    f"The Docker engine did not answer again within {self.wait_s:.0f} s, so the batch "
                    "stopped. Start it, then run the same command again to grade the rest."
                )
            time.sleep(ENGINE_POLL_S)

    def _ping_engine(self) -> bool:
        """A ping on a new connection: one kept open could outlive the engine's socket."""
        try:
            with contextlib.closing(docker.from_env(timeout=PING_TIMEOUT_S)) as client:
                return _answers(client)
        except ENGINE_GONE:
            return False


def grade_all(
    jobs: list[Job],
    *,
    workers: int,
    on_result: Finish,
    grade: Grade = grade_job,
    watch: EngineWatch | None = None,
    scheduler: str | None = None,
    certs: Path | None = None,
) -> list[tuple[Job, Result]]:
    """Grade every job with `workers` processes, calling `on_result` as each one finishes.

    With a `scheduler` address (and, for tls://, `grader cluster certs`' folder), the jobs go to
    that Dask cluster instead (grader.batch.cluster), under the same contract.

    A worker process that dies costs only the submission it was grading (an
    "error" result); the pool is made anew and the batch goes on. When the
    engine stops answering, the batch waits for it (`watch.wait_s` at most),
    then grades again, after removing what they left, the submissions graded
    meanwhile: their results are never kept. On Ctrl-C or SIGTERM the workers
    are stopped and what their runs made is removed.
    """
    if scheduler is not None:
        from grader.batch import cluster

        return cluster.grade_all(
            jobs,
            workers=workers,
            on_result=on_result,
            grade=grade,
            watch=watch,
            scheduler=scheduler,
            certs=certs,
        )
    run = _Batch(grade, on_result, watch or EngineWatch())
    try:
        waiting = deque(jobs)
        while waiting or run.again:
            run.settle(run.pool(waiting, workers))
    except BaseException:
        _remove_runs_if_possible(jobs)
        raise
    return run.done


DIED = (
    "The grader's worker process died while grading this submission (it was ended abruptly, "
    "e.g. out of memory or killed), so it could not be graded. Grade it again with --regrade."
)


class _Batch:
    """One grade_all: its results, and the jobs to grade again once the engine answers."""

    def __init__(self, grade: Grade, on_result: Finish, watch: EngineWatch) -> None:
        self.grade = grade
        self.on_result = on_result
        self.watch = watch
        self.done: list[tuple[Job, Result]] = []
        self.again: list[Job] = []
        self.losses: Counter[Job] = Counter()

    def finish(self, job: Job, result: Result) -> None:
        self.done.append((job, result))
        self.on_result(job, result)

    def settle(self, suspects: list[Job]) -> None:
        """Grade the jobs in flight when a worker died again, one at a time: one that kills its worker
        even alone is the culprit and gets an error result."""
        solos = [[suspects[0]]] if len(suspects) == 1 else [self.pool(deque([job]), 1) for job in suspects]
        for culprit in (job for solo in solos for job in solo):
            self.finish(culprit, _error(culprit, DIED))

    def pool(self, waiting: deque[Job], workers: int) -> list[Job]:
        """Grade jobs from `waiting` in a fresh pool, at most `workers` in flight, until none is left
        or a worker dies; then return the jobs that were in flight."""
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_ctrl_c
        )
        running: dict[Future[Result], Flight] = {}
        try:
            while waiting or running or self.again:
                self._resume(waiting, running)
                self._submit(pool, waiting, running, workers)
                finished, _ = wait(running, timeout=ENGINE_POLL_S, return_when=FIRST_COMPLETED)
                self.watch.check()
                suspects = []
                for future in finished:
                    flight = running.pop(future)
                    if isinstance(future.exception(), BrokenProcessPool):
                        suspects.append(flight.job)
                    else:
                        self._arrived(flight, _outcome(flight.job, future))
                if suspects:
                    return [*suspects, *(flight.job for flight in running.values())]
        except BaseException:
            _stop(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return []

    def _submit(
        self,
        pool: ProcessPoolExecutor,
        waiting: deque[Job],
        running: dict[Future[Result], Flight],
        workers: int,
    ) -> None:
        """Keep `workers` jobs in flight while the engine answers, so that every job handed to the pool
        is one being graded."""
        while self.watch.up and waiting and len(running) < workers:
            job = waiting.popleft()
            try:
                running[pool.submit(_in_worker, self.grade, job)] = Flight(job, self.watch.outages)
            except BrokenProcessPool:
                waiting.appendleft(job)
                if not running:
                    raise
                return

    def _arrived(self, flight: Flight, result: Result | None) -> None:
        """Keep a result, unless the engine stopped answering while it was graded or the worker could
        not reach it (no result): grade that again."""
        if result is not None and self.watch.up and self.watch.outages == flight.outages:
            self.finish(flight.job, result)
            return
        self.losses[flight.job] += 1
        if self.losses[flight.job] > ENGINE_RETRIES:
            raise engine.EngineUnavailable(
                f"The Docker engine stopped answering {ENGINE_RETRIES} times while {flight.job.student}'s "
                f"{flight.job.exercise_id} was graded, so the batch stopped. Run the same command again."
            )
        self.again.append(flight.job)

    def _resume(self, waiting: deque[Job], running: dict[Future[Result], Flight]) -> None:
        """With the engine gone and nothing in flight, wait for it; once it answers, queue again the
        jobs its outage cut short, after removing what they left."""
        if not self.watch.up and not running:
            self.watch.wait()
        if not (self.watch.up and self.again):
            return
        try:
            _remove_runs(self.again)
        except ENGINE_GONE:
            if self.watch.check():
                raise  # the engine answers, yet refuses: not an outage
            return
        self.watch.notify(
            f"The Docker engine answers: grading again the {len(self.again)} submissions it cut short."
        )
        waiting.extendleft(reversed(self.again))
        self.again.clear()


@dataclass(frozen=True)
class Flight:
    """A job handed to a worker, and how many engine outages there had been by then."""

    job: Job
    outages: int


def _ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the parent, which stops them: one decision, no race."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_worker(grade: Grade, job: Job) -> Result:
    """Grade in a worker; a SIGTERM meanwhile unwinds the grading, so its sandbox is removed."""
    previous = signal.signal(signal.SIGTERM, _unwind)
    try:
        return grade(job)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _unwind(signum: int, frame: FrameType | None) -> None:
    """Stop grading once; a second SIGTERM (the pool ends all workers once one is gone) must not cut
    the cleanup short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers: SIGTERM lets them remove their sandboxes, a kill ends what lingers.
    Whatever is left is removed by label afterwards."""
    processes = multiprocessing.active_children()  # the pool's workers: the parent starts no others
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _outcome(job: Job, future: Future[Result]) -> Result | None:
    """The job's result; None when its worker could not reach the engine."""
    try:
        return future.result()
    except EngineLost:
        return None
    except Exception as failed:
        return _error(job, f"{failed}")


def _error(job: Job, reason: str) -> Result:
    return error(job.exercise_id, job.folder, reason)


def error(exercise_id: str, folder: Path, reason: str) -> Result:
    """The result of a submission that could not be graded, and why (for the student and the instructor)."""
    return Result(exercise_id, str(folder), status="error", reason=reason)


def _remove_runs(jobs: Iterable[Job]) -> None:
    """Remove what these jobs' runs left on the engine (their sandboxes, volumes, socket folders)."""
    sandbox.remove_runs(engine.connect(start=False, install=False), {job.run_id for job in jobs})


def _remove_runs_if_possible(jobs: Iterable[Job]) -> None:
    """The same, on the way out, twice: a worker stopped in the middle of a request may leave the
    engine finishing it (a sandbox's volume being created) after the first pass has looked. An engine
    that is gone keeps them for `grader gc`."""
    jobs = list(jobs)
    with contextlib.suppress(*ENGINE_GONE):
        _remove_runs(jobs)
        time.sleep(SETTLE_S)
        _remove_runs(jobs)
