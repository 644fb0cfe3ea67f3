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

from grader.baseimages import sandbox_engine
from grader.context import ContextRefused, pack
from grader.environment import Environment
from grader.exercise import Exercise
from grader.guard import Guard
from grader.plugin import Target, run_checks
from grader.result import Result
from grader.runner import ScriptResult, run_script
from grader.sandbox import Sandbox

SUBMISSION_BYTES = 32 * 1024 * 1024  # a script and its few files; the sandbox keeps them in memory


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
        result.checks = run_checks(Target(exercise, problem=str(refused)))
        return
    with Sandbox(host, sandbox_engine.TAG, run_id=run_id, submission=packed.tar) as sandbox:
        assert sandbox.client is not None
        sandbox.load_images(exercise.images)
        script = _run(host, sandbox, exercise)
        _record(result, script, exercise)
        env = Environment(
            sandbox.client, sandbox.address, script=script, check_timeout_s=exercise.limits.check_timeout_s
        )
        try:
            result.checks = run_checks(Target(exercise, client=sandbox.client, env=env))
        finally:
            env.close()


def _run(host: docker.DockerClient, sandbox: Sandbox, exercise: Exercise) -> ScriptResult:
    """Run setup.sh behind a guard, and note what the guard refused."""
    with Guard(sandbox.socket, allowed_bind_roots=sandbox.bind_roots) as guard:
        script = run_script(
            host,
            sandbox,
            guard_socket=guard.socket,
            script=exercise.submitted_file,
            timeout_s=exercise.limits.script_timeout_s,
        )
    script.refusals = [refusal.message for refusal in guard.refusals]
    return script


def _record(result: Result, script: ScriptResult, exercise: Exercise) -> None:
    result.log = script.output
    result.reason = script.summary(exercise.submitted_file, exercise.limits.script_timeout_s)
    if script.timed_out:
        result.status = "timeout"
    result.advice += script.refusals  # each begins "Refused: `--flag` ..." and says why
