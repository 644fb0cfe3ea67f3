"""Grading many submissions at once, each in its own sandbox, in worker processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from grader import engine, exercise, labels, layout, leftovers
from grader.grade import grade
from grader.result import Result

SANDBOX_MEMORY_GB = 3
STOP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Job:
    """One student's submission of one exercise."""

    student: str
    exercise_id: str
    folder: Path
    run_id: str


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


def grade_job(job: Job) -> Result:
    """Grade one job; whatever happens, a result comes back."""
    try:
        return grade(exercise.load(job.exercise_id), job.folder, run_id=job.run_id)
    except Exception as failed:
        return _error(job, f"{failed}")


def grade_all(
    jobs: list[Job], *, workers: int, on_result: Finish, grade: Grade = grade_job
) -> list[tuple[Job, Result]]:
    """Grade every job with `workers` processes, calling `on_result` as each one finishes.

    A worker process that dies costs only the submission it was grading (an
    "error" result); the pool is made anew and the batch goes on. On Ctrl-C or
    SIGTERM the workers are stopped and what their runs made is removed.
    """
    done: list[tuple[Job, Result]] = []

    def finish(job: Job, result: Result) -> None:
        done.append((job, result))
        on_result(job, result)

    try:
        waiting = deque(jobs)
        while waiting:
            _settle(_run_pool(waiting, workers, grade, finish), grade, finish)
    except BaseException:
        _remove_runs(jobs)
        raise
    return done


def _settle(suspects: list[Job], grade: Grade, finish: Finish) -> None:
    """Grade the jobs in flight when a worker died again, one at a time: one that kills its worker
    even alone is the culprit and gets an error result."""
    for job in suspects:
        if len(suspects) == 1 or _run_pool(deque([job]), 1, grade, finish):
            finish(job, _error(job, DIED))


DIED = (
    "The grader's worker process died while grading this submission (it was ended abruptly, "
    "e.g. out of memory or killed), so it could not be graded. Grade it again with --regrade."
)


def _run_pool(waiting: deque[Job], workers: int, grade: Grade, finish: Finish) -> list[Job]:
    """Grade jobs from `waiting` in a fresh pool, at most `workers` in flight, until none is left
    or a worker dies; then return the jobs that were in flight."""
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_ctrl_c
    )
    running: dict[Future[Result], Job] = {}
    try:
        while waiting or running:
            _submit(pool, grade, waiting, running, workers)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            suspects = []
            for future in finished:
                job = running.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    suspects.append(job)
                else:
                    finish(job, _outcome(job, future))
            if suspects:
                return [*suspects, *running.values()]
    except BaseException:
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return []


def _submit(
    pool: ProcessPoolExecutor,
    grade: Grade,
    waiting: deque[Job],
    running: dict[Future[Result], Job],
    workers: int,
) -> None:
    """Keep `workers` jobs in flight, so that every job handed to the pool is one being graded."""
    while waiting and len(running) < workers:
        job = waiting.popleft()
        try:
            running[pool.submit(_in_worker, grade, job)] = job
        except BrokenProcessPool:
            waiting.appendleft(job)
            if not running:
                raise
            return


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
    processes = list(pool._processes.values()) if pool._processes else []
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _outcome(job: Job, future: Future[Result]) -> Result:
    try:
        return future.result()
    except Exception as failed:
        return _error(job, f"{failed}")


def _error(job: Job, reason: str) -> Result:
    return Result(job.exercise_id, str(job.folder), status="error", reason=reason)


def _remove_runs(jobs: list[Job]) -> None:
    client = engine.connect(start=False, install=False)
    run_ids = {job.run_id for job in jobs}
    found = [item for item in leftovers.find(client, everything=True) if item.run_id in run_ids]
    leftovers.remove(client, found)
