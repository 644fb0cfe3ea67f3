"""Grading many submissions at once, each in its own sandbox, in worker processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from grader import engine, exercise, labels, leftovers
from grader.grade import grade
from grader.result import Result

SANDBOX_MEMORY_GB = 3


@dataclass(frozen=True)
class Job:
    """One student's submission of one exercise."""

    student: str
    exercise_id: str
    folder: Path
    run_id: str


def discover(root: Path) -> list[Job]:
    """Every `<root>/<student>/<exercise-id>/` folder whose exercise exists."""
    known = {item.id for item in exercise.all_exercises()}
    return [
        Job(student.name, folder.name, folder, labels.new_run_id())
        for student in sorted(p for p in root.iterdir() if p.is_dir())
        for folder in sorted(p for p in student.iterdir() if p.is_dir())
        if folder.name in known
    ]


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
        return Result(job.exercise_id, str(job.folder), status="error", reason=f"{failed}")


def grade_all(
    jobs: list[Job], *, workers: int, on_result: Callable[[Job, Result], None]
) -> list[tuple[Job, Result]]:
    """Grade every job with `workers` processes; on Ctrl-C, remove what the runs made."""
    done: list[tuple[Job, Result]] = []
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures: dict[Future[Result], Job] = {pool.submit(grade_job, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            result = _outcome(job, future)
            done.append((job, result))
            on_result(job, result)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        _remove_runs(jobs)
        raise
    pool.shutdown()
    return done


def _outcome(job: Job, future: Future[Result]) -> Result:
    try:
        return future.result()
    except Exception as failed:
        return Result(job.exercise_id, str(job.folder), status="error", reason=f"{failed}")


def _remove_runs(jobs: list[Job]) -> None:
    client = engine.connect(start=False, install=False)
    run_ids = {job.run_id for job in jobs}
    found = [item for item in leftovers.find(client, everything=True) if item.run_id in run_ids]
    leftovers.remove(client, found)
