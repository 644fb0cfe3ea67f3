"""Grading a setup exercise: run the student's setup.sh in a guarded sandbox, then check what it made.

    pack the submission -> start a sandbox holding it -> load base images
    -> serve the guard -> run setup.sh in the runner -> run the checks
    -> remove the sandbox

A refused command does not end grading: the student is told what was refused
and why, and the checks look at whatever the rest of the script built.
"""

from __future__ import annotations

from pathlib import Path

import docker

from grader.checks.environment import Environment
from grader.checks.plugin import Target, run_checks
from grader.grading.grade_image import not_run
from grader.host.baseimages import sandbox_engine
from grader.model import failure
from grader.model.exercise import Exercise
from grader.model.result import Result
from grader.sandbox import walk
from grader.sandbox.context import ContextRefused, pack
from grader.sandbox.guard import guard_of
from grader.sandbox.runner import ScriptResult, run_script
from grader.sandbox.sandbox import Sandbox

SUBMISSION_BYTES = 32 * 1024 * 1024  # a script and its few files; the sandbox keeps them in memory
NOT_RUN = "the script failed (see what went wrong above): fix it first, then this is checked"


def grade_setup(
    result: Result, exercise: Exercise, submission: Path, host: docker.DockerClient, run_id: str
) -> None:
    """Fill `result` with the grading of a setup.sh submission."""
    try:
        packed = pack(
            submission,
            limit_bytes=min(exercise.limits.context_bytes, SUBMISSION_BYTES),
            required=exercise.submitted_file,
        )
    except ContextRefused as refused:
        result.reason = str(refused)
        result.failure = failure.Failure(f"Your folder could not be graded: {refused}")
        result.checks = not_run(run_checks(Target(exercise, problem=str(refused))), NOT_RUN)
        return
    if packed.left_out:
        result.advice.append(walk.left_out_words(packed.left_out))
    outside = exercise.build_network or exercise.run_network  # else no route off the machine
    with Sandbox(
        host, sandbox_engine.chosen(), run_id=run_id, submission=packed.tar, outside=outside
    ) as sandbox:
        assert sandbox.client is not None
        base_images = sandbox.load_images(exercise.images)
        script = _run(host, sandbox, exercise)
        _record(result, script, exercise, _script_text(submission / exercise.submitted_file))
        env = Environment(
            sandbox.client,
            sandbox.address,
            script=script,
            check_timeout_s=exercise.limits.check_timeout_s,
            base_images=base_images,
        )
        try:
            result.checks = run_checks(
                Target(exercise, client=sandbox.client, env=env, base_images=base_images)
            )
        finally:
            env.close()
    if result.failure is not None:
        result.checks = not_run(result.checks, NOT_RUN)


def _run(host: docker.DockerClient, sandbox: Sandbox, exercise: Exercise) -> ScriptResult:
    """Run setup.sh behind a guard, and note what the guard refused."""
    with guard_of(sandbox) as guard:
        script = run_script(
            host,
            sandbox,
            guard_socket=guard.socket,
            script=exercise.submitted_file,
            timeout_s=exercise.limits.script_timeout_s,
        )
    script.refusals = [refusal.message for refusal in guard.refusals]
    return script


def _record(result: Result, script: ScriptResult, exercise: Exercise, text: str) -> None:
    """Keep how the script ended: its output, a sentence, and how it failed (grader.model.failure)."""
    result.log = script.output
    result.reason = script.summary(exercise.submitted_file, exercise.limits.script_timeout_s)
    result.failure = failure.of_script(
        exercise.submitted_file,
        script.output,
        exit_code=script.exit_code,
        timed_out=script.timed_out,
        timeout_s=exercise.limits.script_timeout_s,
        script=text,
    )
    if script.timed_out:
        result.status = "timeout"
    result.advice += script.refusals  # each begins "Refused: `--flag` ..." and says why


def _script_text(path: Path) -> str:
    """The script's text, to quote the line that failed: only a regular file of a sensible size."""
    if path.parent.is_symlink() or not walk.regular_file(path):
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
