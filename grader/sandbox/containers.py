"""Containers that checks start inside a sandbox: locked down and bounded."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests
from docker.models.containers import Container

from grader.errors import SubmissionError
from grader.model.exercise import Exercise
from grader.sandbox.paths import PROBE_DIR, PROBE_SOURCE
from grader.text import decode, last_lines

OUTPUT_LIMIT = 64 * 1024
OUTPUT_CUT_MARK = "[... earlier output cut ...]\n"
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "2"}}


class ContainerStopped(SubmissionError, RuntimeError):
    """A container that should keep running stopped."""


@dataclass
class RunResult:
    """What one `docker run --rm` of an image gave."""

    command: str
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False


def options(exercise: Exercise, *, probe: bool = True) -> dict[str, Any]:
    """The docker-py run options every checked container gets.

    `probe` mounts the sandbox's static busybox at PROBE_DIR; a student's own
    engine (live checks) has no such folder, so it is left out there.
    """
    limits = exercise.limits
    return {
        "network_mode": "bridge" if exercise.run_network else "none",
        "cap_drop": ["ALL"],
        "cap_add": list(exercise.capabilities) or None,
        "security_opt": ["no-new-privileges"],
        "pids_limit": limits.pids,
        "mem_limit": limits.memory,
        "memswap_limit": limits.memory,
        "log_config": LOG_CONFIG,
        "volumes": {PROBE_SOURCE: {"bind": PROBE_DIR, "mode": "ro"}} if probe else None,
    }


def run_once(
    client: docker.DockerClient,
    exercise: Exercise,
    image: str,
    args: tuple[str, ...],
    *,
    entrypoint: list[str] | None = None,
    user: str | None = None,
    timeout_s: float | None = None,
    probe: bool = True,
    shown: str | None = None,
) -> RunResult:
    """Run `image` with `args` until it exits (or its time is up), like `docker run --rm`;
    `shown` is the image's name in the command shown to the student (when `image` is an ID).

    A run that exits having printed nothing is run once more: the engine closes an exited
    container's output streams 2 s after its exit, copied or not (moby's `handleContainerExit`),
    so on a starved machine what a short program printed can be lost. A program that prints
    nothing prints nothing twice.
    """
    timeout = timeout_s or exercise.limits.run_timeout_s
    command = _describe(shown or image, args, entrypoint, user)
    create = {"entrypoint": entrypoint, "user": user, **options(exercise, probe=probe)}
    result = _run(client, image, args, command, timeout, create)
    if _silent_exit(result):
        result = _run(client, image, args, command, timeout, create)
    return result


def _silent_exit(result: RunResult) -> bool:
    """Whether the run exited by itself (not killed, not refused) with no output at all."""
    exited = result.exit_code not in (None, 127) and not result.timed_out
    return exited and not (result.stdout or result.stderr)


def _run(
    client: docker.DockerClient,
    image: str,
    args: tuple[str, ...],
    command: str,
    timeout: float,
    create: dict[str, Any],
) -> RunResult:
    """One run of `image` with `args` (`run_once`), with the container options `create`."""
    container = client.containers.create(image, list(args) or None, **create)
    try:
        try:
            container.start()
        except docker.errors.APIError as refused:
            return RunResult(command, 127, "", _start_error(refused))
        exit_code, timed_out = wait(container, timeout)
        return RunResult(
            command=command,
            exit_code=exit_code,
            stdout=output(container, stdout=True, stderr=False),
            stderr=output(container, stdout=False, stderr=True),
            timed_out=timed_out,
        )
    finally:
        container.remove(force=True)


def start(
    client: docker.DockerClient,
    exercise: Exercise,
    image: str,
    *,
    entrypoint: list[str] | None = None,
) -> Container:
    """Start a long-running container of `image` and make sure it keeps running."""
    container = client.containers.run(image, detach=True, entrypoint=entrypoint, **options(exercise))
    container.reload()
    if container.status != "running":
        state = container.attrs["State"]
        logs = last_lines(decode(container.logs(tail=20)), 10)
        container.remove(force=True)
        raise ContainerStopped(
            f"The container stopped right after it started (exit code {state['ExitCode']})."
            + (f" Its last output:\n{logs}" if logs else " It printed nothing.")
        )
    return container


def wait(container: Container, timeout_s: float) -> tuple[int | None, bool]:
    """Wait for `container` to exit: its exit code, or (None, True) once killed at `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    try:
        status = container.wait(timeout=max(deadline - time.monotonic(), 0.1))
        return int(status["StatusCode"]), False
    except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
        container.kill()
        return None, True


def _start_error(error: docker.errors.APIError) -> str:
    """What `docker run` prints when the container's program cannot be started."""
    explanation = str(error.explanation or error).split("starting container process caused: ")[-1]
    return f"docker: the container could not start: {explanation}"


def output(container: Container, *, stdout: bool = True, stderr: bool = True) -> str:
    """The end of a container's output, at most OUTPUT_LIMIT characters, from a line start.

    The engine keeps at most the last 1-2 MB of a flood (its log files rotate),
    so only the end of a long output is known; it is also where errors are.
    """
    data = container.logs(stdout=stdout, stderr=stderr)
    if len(data) <= OUTPUT_LIMIT:
        return decode(data)
    kept = data[len(data) - (OUTPUT_LIMIT - len(OUTPUT_CUT_MARK)) :]
    if b"\n" in kept[:-1]:
        kept = kept[kept.index(b"\n") + 1 :]
    return OUTPUT_CUT_MARK + decode(kept)


def _describe(image: str, args: tuple[str, ...], entrypoint: list[str] | None, user: str | None) -> str:
    """The `docker run` command a student would type to do the same."""
    words = ["docker", "run", "--rm"]
    if user:
        words += ["--user", user]
    if entrypoint:
        words += ["--entrypoint", entrypoint[0]]
    words += [image, *(entrypoint or [])[1:], *args]
    return shlex.join(words)
