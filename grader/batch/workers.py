"""A grading cluster's worker machine: whether it can grade, and the Dask preload that offers its
grading slots (`dask worker --preload grader.batch.workers`) under its grader's version."""

from __future__ import annotations

import logging
from typing import Any

from grader.batch import batch, cluster, provenance
from grader.host import engine
from grader.model import exercise

logger = logging.getLogger(__name__)


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
    worker.state.total_resources[cluster.resource()] = slots
    worker.state.available_resources[cluster.resource()] = slots
