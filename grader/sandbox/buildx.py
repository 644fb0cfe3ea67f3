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
import gzip
import secrets
import socket
import threading
import time
from typing import Any

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


def command(
    tag: str, *, network: bool, secret: BuildSecret | None = None, context: str = SUBMISSION_DIR
) -> list[str]:
    """The build a student would type, for the context at /submission (or `-`, a tar on stdin);
    given a secret, its file is written first and handed over as `--secret id=<id>,src=<file>`
    (and `--build-arg <arg>`, whose value the CLI reads from the builder's environment)."""
    offline = [] if network else ["--network", "none"]
    build = ["docker", "buildx", "build", "--progress=plain", "--load", "--no-cache"]
    if secret is None:
        return [*build, *offline, "-t", tag, context]
    given = ["--secret", f"id={secret.id},src={SECRET_FILE}"]
    given += ["--build-arg", secret.arg] if secret.arg else []
    return ["sh", "-c", _WRITE_SECRET, "build", *build, *offline, *given, "-t", tag, context]


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
    context: bytes | None = None,
) -> BuildResult:
    """Build the context `sandbox` holds as `tag`, or the tar `context` sent on the CLI's stdin (a
    sandbox already up, a notebook's: its folder is the kernel's, not what was packed); past
    `timeout_s` the build is stopped, and a sandbox of its own with it (its engine is of no use
    after: checks do not run on a build that timed out), never a notebook's. A `secret` gets a
    fresh random value, which the result carries for the checks."""
    started = time.monotonic()
    value = secrets.token_urlsafe(24) if secret else ""
    environment = secret_environment(secret, value)
    with guard_of(sandbox) as guard:
        builder = host.containers.create(
            sandbox.image,
            command(tag, network=network, secret=secret, context=SUBMISSION_DIR if context is None else "-"),
            entrypoint=[],
            name=f"grader-build-{sandbox.run_id}",
            stdin_open=context is not None,
            **runner.guarded(sandbox, guard.socket, memory=BUILD_MEMORY, environment=environment),
        )
        try:
            log, code, timed_out = _follow(builder, sandbox, timeout_s, context)
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


def _follow(
    builder: Container, sandbox: Sandbox, timeout_s: float, stdin: bytes | None = None
) -> tuple[BuildLog, int | None, bool]:
    """Start `builder` (`stdin` written to it) and keep its output as it comes; its exit code, and
    whether it was stopped at `timeout_s` (the builder first, so the log ends where the build was,
    then the sandbox, unless the build had its context on stdin: a notebook's sandbox lives on)."""
    log = BuildLog()
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        for kill in (builder.kill,) if stdin is not None else (builder.kill, sandbox.kill):
            with contextlib.suppress(docker.errors.APIError):
                kill()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    attached = builder.attach_socket(params={"stdin": 1, "stream": 1}) if stdin is not None else None
    builder.start()
    timer.start()
    if attached is not None and stdin is not None:
        # gzip: buildx knows a tar on stdin from its first 512 bytes, which a PAX header outgrows
        gzipped = gzip.compress(stdin, compresslevel=1)
        threading.Thread(
            target=_send, args=(attached, gzipped), daemon=True, name="grader-build-stdin"
        ).start()
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


def _send(attached: Any, data: bytes) -> None:
    """Write `data` to a container's attached stdin and close it (the CLI reads it to its end)."""
    raw = getattr(attached, "_sock", attached)  # the SDK's SocketIO over the hijacked connection
    try:
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the builder is gone (stopped at the time limit): its log says so
    finally:
        with contextlib.suppress(OSError):
            attached.close()


def _cause(log: BuildLog) -> str:
    """BuildKit's own last error (`ERROR: failed to solve: ...`), without its `ERROR: `."""
    errors = [line for line in log.text().splitlines() if line.startswith("ERROR: ")]
    return errors[-1].removeprefix("ERROR: ").strip() if errors else ""
