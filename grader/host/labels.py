"""Labels on everything the grader makes on the host engine, so nothing is ever lost."""

from __future__ import annotations

import os
import uuid

PREFIX = "org.docker-course"
RUN = f"{PREFIX}.grader.run"
OWNER_PID = f"{PREFIX}.grader.pid"
BUILT_LOCALLY = f"{PREFIX}.built-locally"
RECIPE = f"{PREFIX}.recipe"


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def run_labels(run_id: str) -> dict[str, str]:
    """The labels every host object of one grading run carries."""
    return {RUN: run_id, OWNER_PID: str(os.getpid())}
