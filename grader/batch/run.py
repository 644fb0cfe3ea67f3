"""One `grader batch` run: plan the class, grade what changed with the worker pool (or a cluster),
save each result as it comes. What happens is told to a `Report`, which the command renders."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader import __version__
from grader.batch import batch, plan, provenance, store
from grader.batch.layout import Submission
from grader.host import engine
from grader.model.result import Result


class Display(Protocol):
    """Where each result is shown as it comes, and notes (the engine gone, back) in between."""

    def done(self, job: batch.Job, result: Result) -> None: ...

    def note(self, text: str) -> None: ...


class Report(Protocol):
    """Who is told what a run does."""

    def refused(self, submission: Submission, problem: str) -> None:
        """`submission` cannot be graded: it gets an error result saying `problem`."""

    def grading(self, count: int, sandboxes: int) -> AbstractContextManager[Display]:
        """`count` submissions are graded, `sandboxes` at once, while the context lasts."""


@dataclass
class Tally:
    """What one batch run did."""

    total: int
    kept: int
    graded: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def summary(self, out: Path) -> str:
        took = time.monotonic() - self.started
        return (
            f"{self.graded} graded, {self.kept} unchanged and kept, {self.failed} failed (error or timeout)"
            f" of {self.total} submissions in {took:.0f} s; gradebook: {out / 'gradebook.csv'}"
        )


@dataclass(frozen=True)
class Options:
    """How to grade: sandboxes at once, and how long to wait for an engine that stopped answering."""

    workers: int
    engine_wait_s: float
    scheduler: str | None = None  # a Dask cluster's address, to grade there
    cert_dir: Path | None = None  # its TLS keys (`grader cluster certs`)


@dataclass
class Run:
    """A planned batch: the plan, the submissions to grade, the outputs' folder and the tally."""

    plan: plan.Plan
    todo: list[Submission]
    out: Path
    tally: Tally


def prepare(
    submissions: Path,
    out: Path,
    *,
    assignment_file: Path | None = None,
    exercise_ids: Sequence[str] = (),
    overrides_file: Path | None = None,
    roster_file: Path | None = None,
    regrade: Sequence[str] = (),
    regrade_all: bool = False,
) -> Run:
    """Plan the batch (an InputError when the options or folders do not make one) and what to grade:
    what is not graded yet, changed, or asked for again."""
    chosen = plan.make(
        submissions,
        assignment_file=assignment_file,
        exercise_ids=exercise_ids,
        overrides_file=overrides_file,
        roster_file=roster_file,
    )
    todo = plan.todo(chosen, out, regrade=regrade, regrade_all=regrade_all)
    total = len(chosen.roster.submissions)
    return Run(chosen, todo, out, Tally(total=total, kept=total - len(todo)))


def grade(run: Run, options: Options, report: Report) -> None:
    """Grade `run.todo` with `options.workers` sandboxes at once, saving each result as it comes; the
    submissions planning found ungradable get their error result at once, without a sandbox."""
    chosen = run.plan
    for submission in [s for s in run.todo if chosen.problem(s)]:
        _refuse(run, submission, report)
    todo = [s for s in run.todo if not chosen.problem(s)]
    if not todo:
        return
    client = engine.connect()
    versions = provenance.tools(client)
    images = provenance.base_images(client, chosen.exercises.values())
    jobs = batch.jobs_of(todo)
    with report.grading(len(jobs), min(options.workers, len(jobs))) as display:

        def save(job: batch.Job, result: Result) -> None:
            here = provenance.of_exercise(chosen.exercises[job.exercise_id], versions, images)
            origin = {**here, **job.origin}  # a cluster's worker: its machine, tools and images
            _save(run, Submission(job.student, job.exercise_id, job.folder), result, origin)
            display.done(job, result)

        watch = batch.EngineWatch(wait_s=options.engine_wait_s, notify=display.note)
        batch.grade_all(
            jobs,
            workers=options.workers,
            on_result=save,
            watch=watch,
            scheduler=options.scheduler,
            certs=options.cert_dir,
        )


def _refuse(run: Run, submission: Submission, report: Report) -> None:
    """Save an error result, saying what is wrong, for a submission that cannot be graded."""
    problem = run.plan.problem(submission)
    result = batch.error(submission.exercise_id, submission.folder, problem)
    origin = provenance.of_exercise(run.plan.exercises[submission.exercise_id], {"grader": __version__}, {})
    _save(run, submission, result, origin)
    report.refused(submission, problem)


def _save(run: Run, submission: Submission, result: Result, origin: dict[str, Any]) -> None:
    exercise = run.plan.exercises[submission.exercise_id]
    key = run.plan.key(submission)
    store.save(run.out, store.record(submission.student, exercise, key, result, origin, submission.folder))
    run.tally.graded += 1
    run.tally.failed += result.status != "graded"
