"""A grading cluster's worker machine: whether it can grade, the Dask preload that offers its
grading slots (`dask worker --preload grader.batch.workers`) under its grader's version, and the
grading of a job sent to it (in a grading process of its own, as in the local pool)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from grader import __version__
from grader.batch import batch, provenance
from grader.batch.batch import ENGINE_GONE, EngineLost, EngineWatch, Grade, Job
from grader.errors import SetupError, SubmissionError
from grader.host import engine, leftovers
from grader.model import exercise
from grader.model.result import Result

RESOURCE = "grading"
ATTEMPT_PREFIX = 8  # each attempt at a job runs as the job's run id's first 8 characters and 4 of its own
PARENT_POLL_S = 0.5

logger = logging.getLogger(__name__)


class GradingDied(SubmissionError, RuntimeError):
    """The worker's grading process died while grading: the submission's doing, as in the local pool."""


class WrongGrader(SetupError, RuntimeError):
    """A task reached a worker with another grader version or exercise set."""


def exercises_digest() -> str:
    """A digest of the exercise set: every exercise's id, definition and checks."""
    sha = hashlib.sha256()
    for item in exercise.all_exercises():
        sha.update(f"{item.id}:{item.digest()}\n".encode())
    return sha.hexdigest()[:16]


def resource() -> str:
    """The resource this machine's grader advertises and a batch's tasks need."""
    return f"{RESOURCE}-{__version__}-{exercises_digest()}"


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
    """`dask worker --preload grader.batch.workers`: before the worker joins, check that this
    machine can grade and offer a grading slot per thread; one that cannot offers none, saying why."""
    problems = readiness()
    if problems:
        logger.error("This worker takes no grading: %s", " ".join(problems))
        return
    slots = float(worker.state.nthreads)
    worker.state.total_resources[resource()] = slots
    worker.state.available_resources[resource()] = slots


# -- the worker's side ----------------------------------------------------------------------------


def pack(folder: Path) -> bytes:
    """The submission's files, folders and links as a gzipped tar (special files left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=".", filter=_plain)
    return buffer.getvalue()


def _plain(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return member if member.isfile() or member.isdir() or member.issym() else None


def unpack(files: bytes, folder: Path) -> Path:
    """Unpack a `pack`ed submission into `folder`, nothing outside it (tar's filter)."""
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(files), mode="r:gz") as tar:
        tar.extractall(folder, filter="tar")
    return folder


def graded_here(grade: Grade, job: Job, files: bytes, wanted: str) -> tuple[str, dict[str, Any]]:
    """Grade a job on this worker: its result as JSON (the instructor's folder in it) and its origin.

    Refuses (WrongGrader) when this worker's grader is not the batch's; raises EngineLost, once the
    engine answers again (or was waited for long enough) and the run's leftovers are removed, when the
    engine went away: the instructor's side grades the job again.
    """
    if resource() != wanted:
        raise WrongGrader(f"{socket.gethostname()} has {resource()}, the batch needs {wanted}.")
    remove_runs_here({job.run_id})  # earlier attempts, on a worker that died
    attempt = job.run_id[:ATTEMPT_PREFIX] + secrets.token_hex(2)  # the job's prefix, a run id of its own
    with tempfile.TemporaryDirectory(prefix=f"grader-{os.getpid()}-submission-") as temporary:  # `grader gc`
        folder = unpack(files, Path(temporary) / job.exercise_id)
        try:
            result = _in_grading_process(grade, dataclasses.replace(job, folder=folder, run_id=attempt))
        except EngineLost:
            with contextlib.suppress(engine.EngineUnavailable):
                EngineWatch().wait()
            remove_runs_here({attempt})
            raise
    text = result.to_json().replace(json.dumps(str(folder))[1:-1], json.dumps(str(job.folder))[1:-1])
    return text, origin(job.exercise_id)


_grading: ProcessPoolExecutor | None = None  # this worker's grading process, made when first needed


def _in_grading_process(grade: Grade, job: Job) -> Result:
    """Grade in this worker's own grading process, in its main thread, where a check's time limit
    (SIGALRM) holds, as in the local pool's processes; a grading that kills it raises GradingDied."""
    global _grading
    if _grading is None:
        spawn = multiprocessing.get_context("spawn")
        _grading = ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=_grading_setup)
    try:
        return _grading.submit(grade, job).result()
    except BrokenProcessPool:
        _grading = None
        raise GradingDied(batch.DIED) from None


def _grading_setup() -> None:
    """The grading process leaves Ctrl-C to its worker and stops when the worker is gone: SIGTERM
    unwinds the grading (its sandbox is removed), as in the local pool's processes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, batch._unwind)
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(batch.STOP_TIMEOUT_S)  # then, if the unwinding hangs
    os._exit(1)


def origin(exercise_id: str) -> dict[str, Any]:
    """Where a result was graded: this machine, its engine's and tools' versions, its base images."""
    here = {"machine": socket.gethostname(), "worker": _worker_address()}
    with contextlib.suppress(*ENGINE_GONE, exercise.UnknownExercise):
        host = engine.connect(start=False, install=False)
        item = exercise.load(exercise_id)
        return {
            **provenance.of_exercise(item, provenance.tools(host), provenance.base_images(host, [item])),
            **here,
        }
    return here


def _worker_address() -> str:
    """This Dask worker's address ("" outside one)."""
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:
        return ""


def remove_runs_here(run_ids: Collection[str]) -> None:
    """Remove what these jobs' runs, every attempt at them (their run ids' prefix), left on this
    machine's engine and in its temporary folder (the engine's part only when it answers)."""
    prefixes = tuple(run_id[:ATTEMPT_PREFIX] for run_id in run_ids)
    with contextlib.suppress(*ENGINE_GONE):
        host = engine.connect(start=False, install=False)
        leftovers.remove(
            host, [item for item in leftovers.find(host, everything=True) if item.run_id.startswith(prefixes)]
        )
    for prefix in prefixes:
        for folder in Path(tempfile.gettempdir()).glob(f"grader-*-{prefix}*"):
            shutil.rmtree(folder, ignore_errors=True)
