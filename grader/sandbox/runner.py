"""Running a student's setup.sh: in a runner container, against the sandbox's engine, through the guard.

The runner holds the docker CLI (26.1, with the buildx and compose v2 plugins) and bash, nothing of
the host. It shares the sandbox's network namespace, so `localhost:5000` and published host ports are
the sandbox's own, as they would be on the student's machine; its Docker socket is the guard's, never
the engine's. It sees the submission at /submission, on the same volume the nested engine sees there,
so `-v "$(pwd)/data:/data"` binds what the script sees.
"""

from __future__ import annotations

import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from grader.host import labels
from grader.sandbox import containers
from grader.sandbox.paths import GUARD_DIR, SUBMISSION_DIR
from grader.sandbox.sandbox import Sandbox

RUNNER_MEMORY = "384m"  # the script's processes and what it writes to /submission, /tmp and ~ together
HOME = "/root"
SCRATCH = {"/tmp": "size=64m,mode=1777", HOME: "size=16m,mode=0700"}
"""Where a runner may write besides /submission (its root file system is read-only): in memory, bounded,
counted in its memory limit. The docker CLI keeps ~/.docker there; bash, mktemp and heredocs use /tmp."""
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/grader/probe/bin"


@dataclass
class ScriptResult:
    """What running setup.sh gave."""

    exit_code: int | None
    output: str
    timed_out: bool = False
    refusals: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def summary(self, script: str, timeout_s: float) -> str:
        """One sentence for the student on how the script ended ("" when it ended well)."""
        if self.timed_out:
            return f"{script} did not finish within {timeout_s:.0f} s and was stopped."
        if self.exit_code:
            return f"{script} ended with exit code {self.exit_code}: a command in it failed (see its output)."
        return ""


def guarded(
    sandbox: Sandbox,
    guard_socket: Path,
    *,
    memory: str,
    pids: int = 256,
    environment: dict[str, str] | None = None,
    scratch: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The options of a container that works on the sandbox's engine through the guard, and only so.

    It shares the sandbox's network, sees the submission at /submission and the
    guard's socket as its DOCKER_HOST, and holds no capability. Its root file
    system is read-only: it writes to /submission and to the bounded tmpfs
    folders of `scratch` (SCRATCH unless given), in memory. It gets the
    sandbox's CPU, and its log is rotated. Under the sandbox's user namespace it
    runs as the nested containers' root (the submission's owner), else as root.
    """
    assert sandbox.submission_volume is not None, "the sandbox holds no submission"
    owner = sandbox.owner
    scratch = dict(SCRATCH if scratch is None else scratch)
    return {
        "user": "0:0" if owner is None else f"{owner}:{owner}",
        "labels": labels.run_labels(sandbox.run_id),
        "working_dir": SUBMISSION_DIR,
        "environment": {
            "HOME": HOME,
            "DOCKER_HOST": f"unix://{GUARD_DIR}/{guard_socket.name}",
            **(environment or {}),
        },
        "network_mode": f"container:{sandbox.container_id}",
        "volumes": {
            sandbox.submission_volume: {"bind": SUBMISSION_DIR, "mode": "rw"},
            str(guard_socket.parent): {"bind": GUARD_DIR, "mode": "ro"},
        },
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "read_only": True,
        "tmpfs": scratch
        if owner is None
        else {path: f"{o},uid={owner},gid={owner}" for path, o in scratch.items()},
        "group_add": guard_groups(guard_socket),
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(sandbox.limits.cpus * 1e9),
        "pids_limit": pids,
        "log_config": containers.LOG_CONFIG,
    }


def guard_groups(guard_socket: Path) -> list[str]:
    """The group the runner needs to open the guard's socket: none when the socket is its owner's
    alone (a root grader's, for a root runner), else the socket's group (the grader's, or the
    sandbox's remapped root's)."""
    found = guard_socket.stat()
    return [str(found.st_gid)] if found.st_mode & stat.S_IRWXG else []


def run_script(
    host: docker.DockerClient,
    sandbox: Sandbox,
    *,
    guard_socket: Path,
    script: str,
    timeout_s: float,
) -> ScriptResult:
    """Run `script` (a file of the submission) with bash, bounded by `timeout_s`."""
    started = time.monotonic()
    runner = host.containers.create(
        sandbox.image,
        ["bash", "-c", 'exec bash "$0" 2>&1', script],  # one stream: output in the order printed
        entrypoint=[],
        name=f"grader-runner-{sandbox.run_id}",
        **guarded(sandbox, guard_socket, memory=RUNNER_MEMORY, environment={"PATH": PATH}),
    )
    try:
        runner.start()
        exit_code, timed_out = containers.wait(runner, timeout_s)
        return ScriptResult(
            exit_code=exit_code,
            output=containers.output(runner),
            timed_out=timed_out,
            duration_s=time.monotonic() - started,
        )
    finally:
        runner.remove(force=True)
