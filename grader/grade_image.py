"""Grading an image exercise: build the student's Dockerfile in a sandbox, then check the image.

pack the context -> lint -> start a sandbox -> load base images
-> build -> run the checks -> remove the sandbox

Inside a sandbox already (a notebook's check cell run by `grader autograde`),
where no second one can start, the build and checks use the engine at hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors

from grader import sandbox
from grader.baseimages import sandbox_engine
from grader.build import BuildResult, build
from grader.context import ContextRefused, pack
from grader.exercise import Exercise
from grader.lint import advise
from grader.plugin import Target, run_checks
from grader.result import Result
from grader.sandbox import Sandbox


def grade_image(
    result: Result, exercise: Exercise, submission: Path, host: docker.DockerClient, run_id: str
) -> None:
    """Fill `result` with the grading of a Dockerfile submission."""
    result.advice = advise(submission / "Dockerfile")
    try:
        context = pack(submission, limit_bytes=exercise.limits.context_bytes)
    except ContextRefused as refused:
        result.checks = run_checks(Target(exercise, BuildResult.refused(str(refused))))
        result.reason = str(refused)
        return
    with _engine(host, exercise, run_id) as (client, kill):
        built = build(
            client,
            context.tar,
            tag=exercise.tag,
            timeout_s=exercise.limits.build_timeout_s,
            network=exercise.build_network,
            on_timeout=kill,
        )
        result.log = built.log
        result.reason = built.error
        result.image_id = _image_id(client, built)
        if built.timed_out:
            result.status = "timeout"
        result.checks = run_checks(Target(exercise, built, client=None if built.timed_out else client))
    if context.skipped:
        result.advice.insert(0, _skipped_words(context.skipped))


@contextlib.contextmanager
def _engine(
    host: docker.DockerClient, exercise: Exercise, run_id: str
) -> Iterator[tuple[docker.DockerClient, Callable[[], None]]]:
    """The engine to build and check on, and how to stop all it runs: a sandbox of its own, or the
    engine at hand where that is a sandbox already (a notebook `grader autograde` runs), which has
    the course's base images and is removed with all it holds once the notebook has run."""
    if sandbox.inside():
        try:
            yield host, lambda: None
        finally:
            with contextlib.suppress(docker.errors.DockerException):
                host.images.remove(exercise.tag, force=True)
        return
    with Sandbox(host, sandbox_engine.TAG, run_id=run_id) as own:
        assert own.client is not None
        own.load_images(exercise.images)
        yield own.client, own.kill


def _image_id(client: docker.DockerClient, built: BuildResult) -> str:
    """The built image's ID, read before the sandbox (and the image with it) is removed."""
    if not built.ok:
        return ""
    try:
        return str(client.images.get(built.image).id)
    except docker.errors.DockerException:
        return ""


def _skipped_words(skipped: list[str]) -> str:
    names = ", ".join(skipped[:5])
    return f"Symbolic links that lead outside your folder were left out of the build: {names}."
