"""Helper containers that look at a checked container from beside it, with the grader's own tools.

A lookout runs the trusted busybox, by the image ID recorded when the base images were loaded
into the sandbox (never by a tag the student can move), in one namespace of the checked
container and nothing else of it:

- `net`: its network namespace. Its listening sockets (`netstat`), its web server (`wget` on
  127.0.0.1), its names and neighbours (`ping`). The container's processes cannot see the
  lookout's processes at all (another process namespace).
- `pid`: its process namespace. `/proc/1/root/PATH` is PATH as the container's main process sees
  it (cgroup files, /proc and /sys, which the archive API cannot read). The lookout holds
  CAP_SYS_PTRACE, which no container a student starts has, so the container's processes cannot
  read or write the lookout's commands, environment or pipes through /proc.

Commands run one after another in one shell in the lookout, framed as the probe's are
(grader.checks.shell), each within its time limit and OUTPUT_LIMIT. A command past its limit raises
CommandTimeout and takes the lookout with it (an exec cannot be killed through the API; removing the
container kills what it started), and the next command starts a new one. No `timeout` wraps them:
busybox's leaves a watcher behind each command, which nothing in a namespace whose first process
does not reap (a `sleep`, most servers) ever reaps, so after 32 commands the lookout could fork no
more.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from typing import Any, Literal

import docker
import docker.errors

from grader.checks.shell import OUTPUT_LIMIT, CommandTimeout, Expired, FramedShell, ShellError
from grader.host import labels
from grader.sandbox import containers
from grader.text import decode

Namespace = Literal["net", "pid"]
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}}
CAPABILITIES: dict[str, list[str]] = {"net": ["NET_RAW"], "pid": ["SYS_PTRACE"]}


@dataclass(frozen=True)
class Answer:
    """What one command in a lookout gave, shaped like testinfra's CommandResult."""

    command: str
    rc: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def stdout(self) -> str:
        return decode(self.stdout_bytes)

    @property
    def stderr(self) -> str:
        return decode(self.stderr_bytes)

    @property
    def exit_status(self) -> int:
        return self.rc

    @property
    def succeeded(self) -> bool:
        return self.rc == 0

    @property
    def failed(self) -> bool:
        return self.rc != 0


class Lookout:
    """A helper container of the trusted busybox in one namespace of `target`, started on first use."""

    def __init__(
        self, api: docker.APIClient, target: str, image: str, namespace: Namespace, timeout_s: float = 10.0
    ) -> None:
        self.api = api
        self.target = target
        self.image = image
        self.namespace = namespace
        self.timeout_s = timeout_s
        self._helper: str | None = None
        self._shell: FramedShell | None = None

    def run(self, command: str, *args: str, timeout_s: float | None = None) -> Answer:
        """Run the shell `command` (with `args` quoted in, as testinfra does) in the lookout."""
        if args:
            command = command % tuple(shlex.quote(arg) for arg in args)
        self._require_running()
        seconds = timeout_s or self.timeout_s
        shell = self._shell or self._open_shell()
        try:
            rc, stdout, stderr = shell.run(command.encode(), seconds)
        except Expired:
            self.close()
            raise CommandTimeout(command, seconds) from None
        except ShellError:
            self.close()
            raise
        return Answer(command, rc, stdout, stderr)

    def check_output(self, command: str, *args: str) -> str:
        """The output of a command that must succeed, without its last newline."""
        answer = self.run(command, *args)
        if answer.rc != 0:
            raise AssertionError(f"{answer.command} failed: {answer.stderr.strip() or answer.rc}")
        return answer.stdout.rstrip("\r\n")

    def close(self) -> None:
        """End the shell and remove the helper container, if one was started."""
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        helper, self._helper = self._helper, None
        if helper is not None:
            with contextlib.suppress(docker.errors.APIError):
                self.api.remove_container(helper, force=True)

    def _require_running(self) -> None:
        try:
            running = self.api.inspect_container(self.target)["State"].get("Running")
        except docker.errors.NotFound:
            running = False
        if not running:
            raise ShellError(f"the container {self.target} is not running")

    def _open_shell(self) -> FramedShell:
        """A shell in the lookout (started first if need be), reading its commands on stdin."""
        try:
            started = self.api.exec_create(self._started(), ["sh"], stdin=True, stdout=True, stderr=True)
            self._shell = FramedShell(self.api.exec_start(started["Id"], socket=True), self.target)
        except docker.errors.APIError as error:
            self.close()
            raise ShellError(f"cannot open a shell in the lookout beside {self.target}: {error}") from error
        return self._shell

    def _started(self) -> str:
        if self._helper is None:
            created = self.api.create_container(
                self.image,
                ["sleep", "2147483647"],
                labels=labels.run_labels(labels.new_run_id()),
                host_config=self.api.create_host_config(**self._host_config()),
            )
            self._helper = str(created["Id"])
            try:
                self.api.start(self._helper)
            except docker.errors.APIError as error:
                self.close()
                self._require_running()
                raise ShellError(f"cannot start a lookout beside {self.target}: {error}") from error
        return self._helper

    def _host_config(self) -> dict[str, Any]:
        joined = f"container:{self.target}"
        shared = (
            {"network_mode": joined}
            if self.namespace == "net"
            else {"network_mode": "none", "pid_mode": joined}
        )
        return {
            **shared,
            "cap_drop": ["ALL"],
            "cap_add": CAPABILITIES[self.namespace],
            "security_opt": ["no-new-privileges"],
            "read_only": True,
            "pids_limit": 32,
            "mem_limit": "32m",
            "log_config": LOG_CONFIG,
        }


def run_beside(
    client: docker.DockerClient, image: str, argv: list[str], *, network_mode: str, timeout_s: float
) -> tuple[int | None, bool, bytes, bytes]:
    """Run the trusted `image` once with `argv` in `network_mode` (e.g. the engine's "host", which under
    the sandbox's user namespace takes the engine's own, as Docker requires): (exit code, timed out,
    stdout, stderr). The container is removed afterwards."""
    helper = client.containers.create(
        image,
        argv,
        network_mode=network_mode,
        **({"userns_mode": "host"} if network_mode == "host" else {}),
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
        mem_limit="32m",
        pids_limit=8,
        labels=labels.run_labels(labels.new_run_id()),
        log_config=LOG_CONFIG,
    )
    try:
        helper.start()
        exit_code, timed_out = containers.wait(helper, timeout_s)
        stdout = helper.logs(stdout=True, stderr=False)[:OUTPUT_LIMIT]
        stderr = helper.logs(stdout=False, stderr=True)[:OUTPUT_LIMIT]
    finally:
        helper.remove(force=True)
    return exit_code, timed_out, stdout, stderr
