"""Checking a setup exercise against the student's own engine, live.

One call, for notebooks and `grader check ID --live`:

    from grader.grading.live import check
    check("networks.cats-and-dogs")

Nothing is created or removed on the engine except what a check must create
and then removes itself; the checks look at the containers, networks and
images by the names the student gave them.
"""

from __future__ import annotations

import time

import docker

from grader.checks.environment import Environment
from grader.checks.plugin import Target, run_checks
from grader.errors import InputError
from grader.grading.grade import GRADING_ERRORS
from grader.host import engine
from grader.model.exercise import Exercise, load
from grader.model.result import Result

LOOPBACK = "127.0.0.1"  # published ports of the student's engine answer here


class NotLive(InputError, ValueError):
    """The exercise cannot be checked on a live engine."""


def check(
    exercise: Exercise | str,
    *,
    client: docker.DockerClient | None = None,
    address: str = LOOPBACK,
    base_images: dict[str, str] | None = None,
) -> Result:
    """Check what the student built on their engine for `exercise`; the result, whatever happens.

    Given the `address` where its published ports answer and the IDs of the `base_images` loaded
    there, the engine is a grading sandbox's (a notebook scored on the host), not the student's."""
    exercise = load(exercise) if isinstance(exercise, str) else exercise
    if exercise.kind != "setup":
        raise NotLive(
            f"{exercise.id} is checked from its folder, not live: "
            f"`grader check {exercise.id} PATH/TO/YOUR/FOLDER`."
        )
    started = time.monotonic()
    result = Result(exercise=exercise.id, submission="your Docker engine")
    env = Environment(
        client or engine.connect(),
        address,
        live=address == LOOPBACK,
        check_timeout_s=exercise.limits.check_timeout_s,
        base_images=base_images or {},
    )
    try:
        result.checks = run_checks(Target(exercise, client=env.client, env=env, base_images=env.base_images))
    except GRADING_ERRORS as failed:
        result.status = "error"
        result.reason = str(failed)
    finally:
        env.close()
    result.duration_s = time.monotonic() - started
    return result
