"""The testinfra glue: a fast backend for checked containers, and the Host the checks get.

Stock testinfra's docker backend forks one `docker exec` per command (~80 ms). `ShellBackend`
opens one exec session per container and frames each command through it (grader.checks.shell).

What the checks may trust decides how each fact is read:

- Inside a checked container, only the grader's probe toolkit runs (grader.checks.probe): the shell is
  the probe's static busybox, by absolute path, with a PATH of the probe's applets alone. The
  image's /bin/sh, PATH and tools are never run. The shell runs as a random user of its own,
  which no process of the container has (they cannot change user: checked containers have no
  capability and `no-new-privileges`), so they cannot read its stdin, environment or pipes in
  /proc, where the framing markers travel. Only what needs the container's own view is asked
  there (`host.run`, `host.process`).
- Files come from the engine's archive API (`host.file`, `host.exists`), sockets and HTTP
  answers from a lookout beside the container running the trusted busybox (`host.socket`,
  `host.net`), files as the main process sees them (cgroups) from a lookout in its process
  namespace (`host.pidns`). See grader.checks.archive, grader.checks.lookout and grader.checks.host_modules.

Each command runs in a subshell with stdin from /dev/null: `exit`, `cd` or variables do not leak
into later commands, and a command reading stdin sees end of file instead of eating the protocol.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, ClassVar

import docker
import docker.errors
import testinfra.host
from testinfra.backend import base

from grader.checks import archive
from grader.checks.host_modules import ArchiveFile, BusyboxPsProcess, LookoutSocket
from grader.checks.lookout import Lookout, Namespace
from grader.checks.probe import make_probe_dir, probe_mount
from grader.checks.shell import OUTPUT_LIMIT, CommandTimeout, Expired, FramedShell, ShellError
from grader.sandbox.paths import PROBE_BIN, PROBE_BUSYBOX, PROBE_DIR, PROBE_PATH
from grader.text import decode

__all__ = [
    "OUTPUT_LIMIT",
    "PROBE_BIN",
    "PROBE_BUSYBOX",
    "PROBE_DIR",
    "CommandTimeout",
    "GraderHost",
    "ShellBackend",
    "ShellError",
    "host_for",
    "make_probe_dir",
    "probe_mount",
    "wait_until",
]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_HELPER_IMAGE = "busybox:latest"
"""The lookouts' image where no trusted ID is known (a student's own engine, the grader's tests)."""
SHELL_UIDS = (1_500_000_000, 2_000_000_000)
"""The probe's shell runs as a random user in this range: none a container is likely to have."""


def wait_until(predicate: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll `predicate` until it holds (True) or `timeout_s` has passed (False)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(interval_s, left))
    return True


def random_user() -> str:
    """A `uid:gid` for the probe's shell, drawn afresh for each backend."""
    low, high = SHELL_UIDS
    uid = low + secrets.randbelow(high - low)
    return f"{uid}:{uid}"


class ShellBackend(base.BaseBackend):
    """A testinfra backend running every command through one long-lived shell in a container.

    A command that outlives its timeout raises `CommandTimeout`. Its shell is abandoned (an exec
    cannot be killed through the API); the next command opens a fresh shell, which first kills
    the abandoned shell's process group (best effort: processes that left the group survive).
    Output arriving after a command's end marker (a background process writing to the shell's
    stdout) is dropped or shows up in the next command's output.
    """

    NAME = "grader-shell"

    def __init__(
        self,
        client: docker.APIClient,
        container: str,
        *,
        timeout_s: float = 10.0,
        probe: bool = True,
        helper_image: str = DEFAULT_HELPER_IMAGE,
        **kwargs: Any,
    ) -> None:
        """`probe=False` is for containers the grader did not start, which have no probe: their
        own /bin/sh and PATH run the commands, so `run` there proves nothing a student could not
        fake. `helper_image` is the trusted busybox the lookouts run (an image ID when grading).
        `sudo=True, sudo_user=NAME` runs the shell as that user of the container instead, where
        the container's processes of that user can reach it: for setting up tests, not checks."""
        super().__init__(container, **kwargs)
        self.client = client
        self.container = container
        self.timeout_s = timeout_s
        self.probe = probe
        self.helper_image = helper_image
        self.user = random_user() if probe else "0"
        self._shell: FramedShell | None = None
        self._abandoned_pid: int | None = None
        self._lookouts: dict[str, Lookout] = {}

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        """Run `command` (with `args` quoted in, as testinfra does); `timeout_s=` overrides."""
        cmd = self.get_command(command, *args)
        cmd_bytes = self.encode(cmd)
        timeout_s = kwargs.get("timeout_s") or self.timeout_s
        shell = self._open_shell()
        try:
            rc, stdout, stderr = shell.run(cmd_bytes, timeout_s)
        except Expired:
            self._abandoned_pid = shell.pid
            self._drop_shell()
            raise CommandTimeout(cmd, timeout_s) from None
        except ShellError:
            self._drop_shell()
            raise
        return self.result(rc, cmd_bytes, stdout, stderr)

    def lookout(self, namespace: Namespace) -> Lookout:
        """The lookout in the container's `namespace` ("net" or "pid"), made on first use."""
        if namespace not in self._lookouts:
            self._lookouts[namespace] = Lookout(
                self.client, self.container, self.helper_image, namespace, self.timeout_s
            )
        return self._lookouts[namespace]

    def close(self) -> None:
        """End the shell (it exits when its stdin closes) and remove the lookouts; a later
        command opens them again."""
        self._drop_shell()
        for lookout in self._lookouts.values():
            lookout.close()
        self._lookouts.clear()

    def __enter__(self) -> ShellBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def get_sudo_command(self, command: str, sudo_user: str | None) -> str:
        """The command as it is: with a `sudo_user`, the shell itself is opened as that user."""
        return command

    def get_encoding(self) -> str:
        """UTF-8: images rarely set a locale, and asking python in the image costs two commands."""
        return "utf-8"

    def decode(self, data: bytes) -> str:
        """Text of command output; bytes that are not UTF-8 become U+FFFD instead of raising."""
        return decode(data)

    def container_path(self) -> list[str]:
        """The folders of the container's own PATH (the image's), where its commands are."""
        env = self.client.inspect_container(self.container)["Config"].get("Env") or []
        paths = [item.removeprefix("PATH=") for item in env if item.startswith("PATH=")]
        return [folder for folder in (paths[0] if paths else DEFAULT_PATH).split(":") if folder]

    def _drop_shell(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    def _open_shell(self) -> FramedShell:
        if self._shell is None:
            shell = self._start_shell()
            try:
                self._kill_abandoned(shell)
            except ShellError:
                shell.close()
                raise
            self._shell = shell
        return self._shell

    def _start_shell(self) -> FramedShell:
        try:
            exec_id = self.client.exec_create(
                self.container,
                [PROBE_BUSYBOX, "sh"] if self.probe else ["/bin/sh"],
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                user=self.sudo_user if self.sudo and self.sudo_user else self.user,
                workdir="/",
                environment={"PATH": PROBE_PATH if self.probe else ":".join(self.container_path())},
            )["Id"]
            shell = FramedShell(self.client.exec_start(exec_id, socket=True), self.container)
        except docker.errors.APIError as error:
            raise ShellError(
                f"cannot open a shell in container {self.container}: {error.explanation or error}"
            ) from error
        try:
            _, stdout, _ = shell.run(b"echo $$", self.timeout_s)
            shell.pid = int(stdout)
        except (ShellError, Expired, ValueError) as error:
            shell.close()
            missing = f"is the probe mounted at {PROBE_DIR}?" if self.probe else "does it have /bin/sh?"
            raise ShellError(
                f"cannot start a shell in container {self.container}: {missing} "
                f"({self._exec_status(exec_id)})"
            ) from error
        return shell

    def _exec_status(self, exec_id: str) -> str:
        try:
            state = self.client.exec_inspect(exec_id)
        except docker.errors.APIError as error:
            return f"exec unknown: {error}"
        return f"exec running: {state.get('Running')}, exit code: {state.get('ExitCode')}"

    def _kill_abandoned(self, shell: FramedShell) -> None:
        """Kill the process group of the shell abandoned after a timeout, if still there."""
        pid, self._abandoned_pid = self._abandoned_pid, None
        if pid and pid != shell.pid:
            with contextlib.suppress(Expired):
                kill = f"{PROBE_BUSYBOX} kill" if self.probe else "kill"
                shell.run(f"{kill} -9 -{pid} 2>/dev/null".encode(), self.timeout_s)


class GraderHost(testinfra.host.Host):
    """A testinfra Host for one checked container, whose facts come from outside where they can.

    `host.file` and `host.exists` read the engine's archive API, `host.socket` and `host.net` a
    lookout in the container's network namespace, `host.pidns` one in its process namespace;
    `host.run` and `host.process` run the probe's tools inside (see the module's docstring).
    """

    backend: ShellBackend

    _OUTSIDE: ClassVar[dict[str, type[Any]]] = {"file": ArchiveFile, "socket": LookoutSocket}

    @property
    def container(self) -> str:
        """The ID (or name) of the checked container."""
        return self.backend.container

    @property
    def net(self) -> Lookout:
        """The trusted busybox in the container's network namespace: `host.net.run("wget ...")`."""
        return self.backend.lookout("net")

    @property
    def pidns(self) -> Lookout:
        """The trusted busybox in the container's process namespace: `/proc/1/root/PATH` there is
        PATH as the main process sees it (its cgroup files, /proc, /sys)."""
        return self.backend.lookout("pid")

    def main_user(self) -> tuple[int, str]:
        """(uid, name) of the user the container's main process runs as, from the engine: the user
        it was started as (its configuration) and the image's own /etc/passwd (as built, whatever
        the container wrote since). Exact for the containers the grader starts, which can never
        change user (no capability, `no-new-privileges`). A stopped container has no main process:
        ShellError says it is not running."""
        api = self.backend.client
        attrs = api.inspect_container(self.container)
        if not attrs["State"].get("Running"):
            raise ShellError(f"the container {self.container} is not running")
        user = (attrs["Config"].get("User") or "0").split(":")[0]
        passwd = archive.image_file(api, attrs["Image"], "/etc/passwd", limit=1 << 20) or b""
        accounts = [line.split(":") for line in passwd.decode(errors="replace").splitlines()]
        by_name = {
            fields[0]: int(fields[2]) for fields in accounts if len(fields) > 2 and fields[2].isdigit()
        }
        uid = int(user) if user.isdigit() else by_name.get(user, -1)
        names = {number: name for name, number in reversed(by_name.items())}
        return uid, names.get(uid, user)

    def exists(self, command: str) -> bool:
        """Whether `command` is an executable file in one of the container's own PATH folders."""
        return self._on_path(command) is not None

    def find_command(self, command: str, extrapaths: Iterable[str] = ("/sbin", "/usr/sbin")) -> str:
        """The path of `command` in the container's own PATH (or `extrapaths`); ValueError if none."""
        found = self._on_path(command, extrapaths)
        if found is None:
            raise ValueError(f'cannot find "{command}" command')
        return found

    def close(self) -> None:
        """Close the shell and remove the lookouts."""
        self.backend.close()

    def _on_path(self, command: str, extrapaths: Iterable[str] = ()) -> str | None:
        folders = [""] if "/" in command else [*self.backend.container_path(), *extrapaths]
        for folder in folders:
            path = f"{folder.rstrip('/')}/{command}" if folder else command
            resolved = archive.resolve(self.backend.client, self.container, path)
            if resolved is not None and resolved[1].is_file and resolved[1].permissions & 0o111:
                return path
        return None

    def __getattr__(self, name: str) -> Any:
        module: Any = None
        if name in self._OUTSIDE:
            module = self._OUTSIDE[name].get_module(self)
        elif name == "process" and (self.backend.probe or self.run("ps -A -o lstart >/dev/null 2>&1").rc):
            module = BusyboxPsProcess.get_module(self)
        if module is None:
            return super().__getattr__(name)
        setattr(self, name, module)
        return module


def host_for(
    client: docker.APIClient,
    container: str,
    *,
    timeout_s: float = 10.0,
    probe: bool = True,
    helper_image: str = DEFAULT_HELPER_IMAGE,
) -> GraderHost:
    """A testinfra Host checking `container` through a ShellBackend.

    `probe=False` for containers the grader did not start (they have no probe); `helper_image`
    is the trusted busybox (by ID) the lookouts run. Close it with `host.close()`.
    """
    backend = ShellBackend(client, container, timeout_s=timeout_s, probe=probe, helper_image=helper_image)
    host = GraderHost(backend)
    backend.set_host(host)
    return host
