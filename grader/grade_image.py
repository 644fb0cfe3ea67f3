"""Grading an image exercise: build the student's Dockerfile in a sandbox, then check the image.

pack the context -> lint -> start a sandbox -> load base images
-> build -> run the checks -> remove the sandbox
"""

from __future__ import annotations

from pathlib import Path

import docker
import docker.errors

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
    with Sandbox(host, sandbox_engine.TAG, run_id=run_id) as sandbox:
        assert sandbox.client is not None
        sandbox.load_images(exercise.images)
        built = build(
            sandbox.client,
            context.tar,
            tag=exercise.tag,
            timeout_s=exercise.limits.build_timeout_s,
            network=exercise.build_network,
            on_timeout=sandbox.kill,
        )
        result.log = built.log
        result.reason = built.error
        result.image_id = _image_id(sandbox.client, built)
        if built.timed_out:
            result.status = "timeout"
        client = None if built.timed_out else sandbox.client
        result.checks = run_checks(Target(exercise, built, client=client))
    if context.skipped:
        result.advice.insert(0, _skipped_words(context.skipped))


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
