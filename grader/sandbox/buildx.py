"""Building a submission's Dockerfile with BuildKit: `docker buildx build` in a runner, through the guard.

The Python SDK cannot speak BuildKit's session, so the docker CLI of the sandbox
engine's image builds, as a student would, from a runner container like the one
that runs setup.sh (grader.sandbox.runner): it shares the sandbox's network,
reaches the nested engine only through a guard (whose BuildKit policy applies),
and builds the context the sandbox holds at /submission. Its plain progress
output is the build's log. The build has no network unless the exercise
declares one (`--network none`), no cache (`--no-cache`: what RUN steps print is
graded), and whatever BuildKit keeps lives in the sandbox's engine, removed with it.
"""

from __future__ import annotations

import codecs
import contextlib
import secrets
import threading
import time

import docker
import docker.errors
import requests
from docker.models.containers import Container

from grader.model.exercise import BuildSecret
from grader.sandbox import runner
from grader.sandbox.build import BuildLog, BuildResult, clean, explain
from grader.sandbox.guard import guard_of
from grader.sandbox.paths import SUBMISSION_DIR
from grader.sandbox.sandbox import Sandbox

BUILD_MEMORY = "384m"  # the CLI sends the context and prints progress; BuildKit itself runs in the engine


SECRET_FILE = "/tmp/build-secret"  # on the builder's own tmpfs, never in the build context
SECRET_VARIABLE = "GRADER_BUILD_SECRET"
_WRITE_SECRET = f'umask 077 && printf %s "${SECRET_VARIABLE}" > {SECRET_FILE} && exec "$@"'


def command(tag: str, *, network: bool, secret: BuildSecret | None = None) -> list[str]:
    """The build a student would type, for the context at /submission; given a secret, its file is
    written first and handed over as `--secret id=<id>,src=<file>` (and `--build-arg <arg>`, whose
    value the CLI reads from the builder's environment)."""
    offline = [] if network else ["--network", "none"]
    build = ["docker", "buildx", "build", "--progress=plain", "--load", "--no-cache"]
    if secret is None:
        return [*build, *offline, "-t", tag, SUBMISSION_DIR]
    given = ["--secret", f"id={secret.id},src={SECRET_FILE}"]
    given += ["--build-arg", secret.arg] if secret.arg else []
    return ["sh", "-c", _WRITE_SECRET, "build", *build, *offline, *given, "-t", tag, SUBMISSION_DIR]


def secret_environment(secret: BuildSecret | None, value: str) -> dict[str, str]:
    """The builder's environment that carries `value` to the secret's file and build argument."""
    if secret is None:
        return {}
    return {SECRET_VARIABLE: value} | ({secret.arg: value} if secret.arg else {})


def build_in(
    host: docker.DockerClient,
    sandbox: Sandbox,
    *,
    tag: str,
    timeout_s: float,
    network: bool,
    secret: BuildSecret | None = None,
) -> BuildResult:
    """Build the context `sandbox` holds as `tag`; past `timeout_s` the build and the sandbox are
    stopped (its engine is of no use after: checks do not run on a build that timed out). A
    `secret` gets a fresh random value, which the result carries for the checks."""
    started = time.monotonic()
    value = secrets.token_urlsafe(24) if secret else ""
    environment = secret_environment(secret, value)
    with guard_of(sandbox) as guard:
        builder = host.containers.create(
            sandbox.image,
            command(tag, network=network, secret=secret),
            entrypoint=[],
            name=f"grader-build-{sandbox.run_id}",
            **runner.guarded(sandbox, guard.socket, memory=BUILD_MEMORY, environment=environment),
        )
        try:
            log, code, timed_out = _follow(builder, sandbox, timeout_s)
        finally:
            builder.remove(force=True)
    duration = time.monotonic() - started
    if timed_out:
        error = f"The build did not finish within {timeout_s:.0f} s and was stopped."
        return BuildResult(
            ok=False, log=log.text(), error=error, timed_out=True, duration_s=duration, secret=value
        )
    if code != 0:
        cause = _cause(log) or f"docker buildx build ended with exit code {code}."
        refused = [refusal.message for refusal in guard.refusals]
        cause = "\n".join([*refused, cause])
        return BuildResult(
            ok=False,
            log=log.text(),
            error=explain(cause, log),
            duration_s=duration,
            cause=cause,
            secret=value,
        )
    return BuildResult(ok=True, log=log.text(), image=tag, duration_s=duration, secret=value)


def _follow(builder: Container, sandbox: Sandbox, timeout_s: float) -> tuple[BuildLog, int | None, bool]:
    """Start `builder` and keep its output as it comes; its exit code, and whether it was stopped at
    `timeout_s` (the builder first, so the log ends where the build was, then the sandbox)."""
    log = BuildLog()
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        for kill in (builder.kill, sandbox.kill):
            with contextlib.suppress(docker.errors.APIError):
                kill()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    builder.start()
    timer.start()
    try:
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in builder.logs(stream=True, follow=True):
            log.add(clean(text.decode(chunk)))
        code = int(builder.wait(timeout=10)["StatusCode"])
    except (requests.exceptions.RequestException, docker.errors.APIError):
        code = None
    finally:
        timer.cancel()
    return log, code, stopped.is_set()


def _cause(log: BuildLog) -> str:
    """BuildKit's own last error (`ERROR: failed to solve: ...`), without its `ERROR: `."""
    errors = [line for line in log.text().splitlines() if line.startswith("ERROR: ")]
    return errors[-1].removeprefix("ERROR: ").strip() if errors else ""
