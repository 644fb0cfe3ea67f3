"""Building a submission's Dockerfile with BuildKit: `docker buildx build` in a runner, through the guard.

The Python SDK cannot speak BuildKit's session, so the docker CLI of the sandbox
engine's image builds, as a student would, from a runner container like the one
that runs setup.sh (grader.sandbox.runner): it shares the sandbox's network,
reaches the nested engine only through a guard (whose BuildKit policy applies),
and builds the context the sandbox holds at /submission. Its plain progress
output is the build's log. The build has no network unless the exercise
declares one (`--network none`), no cache (`--no-cache`: what RUN steps print is
graded), and whatever BuildKit keeps lives in the sandbox's engine, removed with it.

In a notebook's kernel (a check cell), the kernel's own docker CLI builds the same way
(`build_here`), on the engine its DOCKER_HOST names, where it has buildx (`available`).
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gzip
import io
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, cast

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
_WRITE_SECRET = 'umask 077 && printf %s "${0}" > {1} && exec "$@"'


def command(
    tag: str,
    *,
    network: bool,
    secret: BuildSecret | None = None,
    context: str = SUBMISSION_DIR,
    secret_file: str = SECRET_FILE,
) -> list[str]:
    """The build a student would type, for the context at /submission (or `-`, a tar on stdin);
    given a secret, its file is written first and handed over as `--secret id=<id>,src=<file>`
    (and `--build-arg <arg>`, whose value the CLI reads from the builder's environment)."""
    offline = [] if network else ["--network", "none"]
    build = ["docker", "buildx", "build", "--progress=plain", "--load", "--no-cache"]
    if secret is None:
        return [*build, *offline, "-t", tag, context]
    given = ["--secret", f"id={secret.id},src={secret_file}"]
    given += ["--build-arg", secret.arg] if secret.arg else []
    write = _WRITE_SECRET.format(SECRET_VARIABLE, shlex.quote(secret_file))
    return ["sh", "-c", write, "build", *build, *offline, *given, "-t", tag, context]


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
    refused = [refusal.message for refusal in guard.refusals]
    return _result(
        log,
        code,
        tag=tag,
        timed_out=timed_out,
        timeout_s=timeout_s,
        started=started,
        secret=value,
        refused=refused,
    )


@functools.cache
def available() -> bool:
    """Whether this machine's docker CLI has the buildx plugin (the kernel image's 26.1 CLI does)."""
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", "buildx", "version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def build_here(
    *, tag: str, timeout_s: float, network: bool, context: bytes, secret: BuildSecret | None = None
) -> BuildResult:
    """Build the tar `context` with this machine's docker CLI and its buildx plugin, on the engine
    its DOCKER_HOST names: a check cell in a notebook's kernel (the course engine's, or an autograde
    sandbox's through its guard), where no host engine starts a builder. Stopped at `timeout_s`."""
    started = time.monotonic()
    value = secrets.token_urlsafe(24) if secret else ""
    environment = {**os.environ, **secret_environment(secret, value)}
    log, stopped = BuildLog(), threading.Event()
    with (
        tempfile.TemporaryDirectory(prefix="grader-build-") as scratch,  # the secret's file, removed after
        subprocess.Popen(
            command(tag, network=network, secret=secret, context="-", secret_file=f"{scratch}/secret"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment,
        ) as process,
    ):
        timer = threading.Timer(timeout_s, _stop, (process, stopped))
        timer.daemon = True
        timer.start()
        gzipped = gzip.compress(context, compresslevel=1)  # as `_follow` sends it
        threading.Thread(
            target=_feed, args=(process, gzipped), daemon=True, name="grader-build-stdin"
        ).start()
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        output = cast(io.BufferedReader, process.stdout)  # a pipe, buffered: read1 returns what came
        for chunk in iter(lambda: output.read1(65536), b""):
            log.add(clean(text.decode(chunk)))
        code = process.wait()
        timer.cancel()
    return _result(
        log, code, tag=tag, timed_out=stopped.is_set(), timeout_s=timeout_s, started=started, secret=value
    )


def _stop(process: subprocess.Popen[bytes], stopped: threading.Event) -> None:
    stopped.set()
    process.kill()


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    """Write `data` to the CLI's stdin and close it; the CLI may be gone (stopped, or failed early)."""
    assert process.stdin is not None
    with contextlib.suppress(OSError):
        process.stdin.write(data)
    with contextlib.suppress(OSError):
        process.stdin.close()


def _result(
    log: BuildLog,
    code: int | None,
    *,
    tag: str,
    timed_out: bool,
    timeout_s: float,
    started: float,
    secret: str,
    refused: list[str] | None = None,
) -> BuildResult:
    """What a build by the docker CLI came to: the image, or why not, with its log."""
    duration = time.monotonic() - started
    if timed_out:
        error = f"The build did not finish within {timeout_s:.0f} s and was stopped."
        return BuildResult(
            ok=False, log=log.text(), error=error, timed_out=True, duration_s=duration, secret=secret
        )
    if code != 0:
        cause = _cause(log) or f"docker buildx build ended with exit code {code}."
        cause = "\n".join([*(refused or []), cause])
        return BuildResult(
            ok=False,
            log=log.text(),
            error=explain(cause, log),
            duration_s=duration,
            cause=cause,
            secret=secret,
        )
    return BuildResult(ok=True, log=log.text(), image=tag, duration_s=duration, secret=secret)


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
