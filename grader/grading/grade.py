"""Grading one submission of one exercise, start to finish, whatever its kind.

The recipes live in grade_image (a Dockerfile) and grade_setup (a setup.sh).
Results are computed here, on the host, from what the engine reports; nothing
the submission writes can change them.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import docker

from grader.grading.grade_image import GivenEngine, grade_image
from grader.grading.grade_setup import grade_setup
from grader.host import engine, labels
from grader.model.exercise import Exercise
from grader.model.result import Result
from grader.sandbox.sandbox import SandboxError

RECIPES = {"image": grade_image, "setup": grade_setup}
GRADING_ERRORS = (SandboxError, engine.EngineUnavailable, docker.errors.DockerException, RuntimeError)


def grade(
    exercise: Exercise,
    submission: Path,
    *,
    host: docker.DockerClient | None = None,
    run_id: str | None = None,
    on: GivenEngine | None = None,
) -> Result:
    """Grade `submission` (a folder) against `exercise` in a sandbox of its own (an image exercise:
    `on` a sandbox's engine that is already up, given with its base images' IDs)."""
    started = time.monotonic()
    result = Result(exercise=exercise.id, submission=str(submission))
    try:
        recipe = partial(grade_image, given=on) if on is not None else RECIPES[exercise.kind]
        recipe(result, exercise, submission, host or engine.connect(), run_id or labels.new_run_id())
    except GRADING_ERRORS as failed:
        result.status = "error"
        result.reason = str(failed)
    result.duration_s = time.monotonic() - started
    return result
