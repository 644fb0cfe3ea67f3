"""Grading an image exercise: build the student's Dockerfile in a sandbox, then check the image.

pack the context -> lint -> start a sandbox holding it -> load base images
-> build (BuildKit, the docker CLI through the guard) -> run the checks -> remove the sandbox

Inside a sandbox already (a notebook's check cell run by `grader autograde`),
where no second one can start, the build (the engine's API, classic builder) and
checks use the engine at hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import docker
import docker.errors

from grader.checks.plugin import Target, run_checks
from grader.grading import syntax_directive
from grader.grading.dockerfile_refs import network_refusals
from grader.grading.lint import advise
from grader.host.baseimages import sandbox_engine
from grader.model import failure
from grader.model.exercise import Exercise
from grader.model.result import CheckResult, Result
from grader.sandbox import buildx, sandbox, walk
from grader.sandbox.build import BuildResult, build
from grader.sandbox.context import ContextRefused, pack
from grader.sandbox.sandbox import Sandbox, SandboxLimits


@dataclass(frozen=True)
class GivenEngine:
    """A sandbox's engine that is already up (a notebook's), the IDs of the base images loaded there,
    and the sandbox itself where the grader holds it: then builds are BuildKit's, through the docker
    CLI (grader.sandbox.buildx, the context on its stdin); in a kernel whose docker CLI has buildx,
    BuildKit's through that CLI; else the engine API's classic builder."""

    client: docker.DockerClient
    base_images: dict[str, str] = field(default_factory=dict)
    sandbox: Sandbox | None = None


Builder = Callable[[], BuildResult]
MIB = 1024 * 1024


def grade_image(
    result: Result,
    exercise: Exercise,
    submission: Path,
    host: docker.DockerClient,
    run_id: str,
    *,
    given: GivenEngine | None = None,
) -> None:
    """Fill `result` with the grading of a Dockerfile submission (built on the `given` engine)."""
    result.advice = _advice(submission / "Dockerfile")
    fetches = _fetches(exercise, submission / "Dockerfile")
    if fetches:
        _refused(result, exercise, " ".join(fetches), failure.of_refusal(fetches))
        return
    try:
        context = pack(submission, limit_bytes=exercise.limits.context_bytes)
    except ContextRefused as refused:
        _refused(
            result, exercise, str(refused), failure.Failure(f"Your folder could not be built: {refused}")
        )
        return
    tar, syntax = syntax_directive.with_builtin_frontend(context.tar)
    if syntax is not None:
        result.advice.append(syntax_directive.advice(syntax))
    with _engine(host, exercise, run_id, tar, given) as (client, builder, base_images):
        built = builder()
        result.log = built.log
        result.reason = built.error
        result.image_id = _image_id(client, built)
        if built.timed_out:
            result.status = "timeout"
        checked = None if built.timed_out else client
        result.checks = run_checks(Target(exercise, built, client=checked, base_images=base_images))
    if not built.ok:
        _failed(result, exercise, built, _text(submission / "Dockerfile"))
    if context.left_out:
        result.advice.insert(0, walk.left_out_words(context.left_out))


def _fetches(exercise: Exercise, dockerfile: Path) -> list[str]:
    """Why the Dockerfile would fetch from the network (grader.grading.dockerfile_refs), one sentence per
    line, where the exercise's builds have none; [] when they have, or the file may not be read."""
    if exercise.build_network:
        return []
    return network_refusals(_text(dockerfile), exercise.images)


def _refused(result: Result, exercise: Exercise, reason: str, why: failure.Failure) -> None:
    """Grade a submission refused before any sandbox: every check not run, for `reason`."""
    checks = run_checks(Target(exercise, BuildResult.refused(reason)))
    result.checks = not_run(checks, failure.NOT_RUN_BUILD)
    result.reason = reason
    result.failure = why
    result.advice = [advice for advice in result.advice if advice != why.hint]


@contextlib.contextmanager
def _engine(
    host: docker.DockerClient,
    exercise: Exercise,
    run_id: str,
    context: bytes,
    given: GivenEngine | None = None,
) -> Iterator[tuple[docker.DockerClient, Builder, dict[str, str]]]:
    """The engine to build and check on, how to build `context` there, and the base images' IDs
    there: a sandbox of its own holding the context, built with BuildKit through the docker CLI
    (grader.sandbox.buildx); or one already up, which has the course's base images and is removed
    with all it holds once the notebook has run: the `given` one (the grader scoring a notebook on
    the host, built with BuildKit too, the context on the CLI's stdin) or the engine at hand (a check
    cell in a notebook's kernel, where the images are known by name only, built by the kernel's
    buildx, or through the engine's API where the kernel's CLI has none: `_builder_on`)."""
    limits = exercise.limits
    if given is not None or sandbox.inside():
        up = given or GivenEngine(host)
        before = _image_ids(up.client)
        try:
            yield up.client, _builder_on(host, up, exercise, context), up.base_images
        finally:
            with contextlib.suppress(docker.errors.DockerException):
                up.client.images.remove(exercise.tag, force=True)
            _remove_new_dangling(up.client, before)
        return
    outside = exercise.build_network or exercise.run_network  # else no route off the machine
    holds = SandboxLimits(submission_disk=f"{max(128, len(context) // MIB + 16)}m")  # the context, whole
    with Sandbox(
        host, sandbox_engine.chosen(), run_id=run_id, outside=outside, limits=holds, submission=context
    ) as own:
        assert own.client is not None
        base_images = own.load_images(exercise.images)
        timeout_s, network = limits.build_timeout_s, exercise.build_network
        cli_build = partial(
            buildx.build_in,
            host,
            own,
            tag=exercise.tag,
            timeout_s=timeout_s,
            network=network,
            secret=exercise.secret,
        )
        yield own.client, cli_build, base_images


def _builder_on(host: docker.DockerClient, up: GivenEngine, exercise: Exercise, context: bytes) -> Builder:
    """How to build `context` on an engine already up (never stopping it at the time limit)."""
    timeout_s, network = exercise.limits.build_timeout_s, exercise.build_network
    tag, secret = exercise.tag, exercise.secret
    if up.sandbox is not None:
        return partial(
            buildx.build_in,
            host,
            up.sandbox,
            tag=tag,
            timeout_s=timeout_s,
            network=network,
            secret=secret,
            context=context,
        )
    if sandbox.inside() and buildx.available():  # a check cell in a kernel with buildx (26.1's CLI)
        return partial(
            buildx.build_here, tag=tag, timeout_s=timeout_s, network=network, secret=secret, context=context
        )
    return partial(
        build,
        up.client,
        context,
        tag=exercise.tag,
        timeout_s=timeout_s,
        network=network,
        on_timeout=lambda: None,
    )


def _image_id(client: docker.DockerClient, built: BuildResult) -> str:
    """The built image's ID, read before the sandbox (and the image with it) is removed."""
    if not built.ok:
        return ""
    try:
        return str(client.images.get(built.image).id)
    except docker.errors.DockerException:
        return ""


def _readable(dockerfile: Path) -> bool:
    """Whether the Dockerfile may be read (linted, quoted): a regular file of a sensible size, never
    through a link, a pipe or a device, never a sparse giant read whole."""
    return not dockerfile.parent.is_symlink() and walk.regular_file(dockerfile)


def _advice(dockerfile: Path) -> list[str]:
    """The linter's advice, for a Dockerfile that may be read (`_readable`)."""
    return advise(dockerfile) if _readable(dockerfile) else []


def _text(dockerfile: Path) -> str:
    """The Dockerfile's text, to name the line a parse error is on ("" when it may not be read)."""
    if not _readable(dockerfile):
        return ""
    try:
        return dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _failed(result: Result, exercise: Exercise, built: BuildResult, dockerfile: str) -> None:
    """Note how the build failed (grader.model.failure), mark the checks it kept from running, and drop
    advice that only repeats the failure's hint."""
    result.failure = failure.of_build(
        built.log,
        built.cause,
        timed_out=built.timed_out,
        timeout_s=exercise.limits.build_timeout_s,
        dockerfile=dockerfile,
        images=tuple(exercise.images),
    )
    result.checks = not_run(result.checks, failure.NOT_RUN_BUILD)
    result.advice = [advice for advice in result.advice if advice != result.failure.hint]


def not_run(checks: list[CheckResult], why: str) -> list[CheckResult]:
    """`checks` with every one that did not pass marked as not run, for `why` (outputs show no hint)."""
    return [check if check.passed else replace(check, not_run=True, found=why) for check in checks]


def _image_ids(client: docker.DockerClient) -> set[str]:
    """The IDs of every image on the engine, intermediate ones too."""
    try:
        return {str(image) for image in client.api.images(all=True, quiet=True)}
    except docker.errors.DockerException:
        return set()


def _remove_new_dangling(client: docker.DockerClient, before: set[str]) -> None:
    """Remove the untagged images a check's build left on an engine that lasts (the course engine's):
    a multi-stage build's earlier stages, on the classic builder. The student's images were there
    `before`, or are tagged."""
    try:
        dangling = {str(image) for image in client.api.images(quiet=True, filters={"dangling": True})}
    except docker.errors.DockerException:
        return
    for image in sorted(dangling - before):
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(image)
