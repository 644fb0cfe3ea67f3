"""The host's Docker engine: reach it, start or install it when allowed, describe it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors

from grader.errors import SetupError
from grader.host import system
from grader.text import last_lines

DEFAULT_SOCKET = Path("/var/run/docker.sock")
SYSTEM_LOG = Path("/var/log/grader-dockerd.log")
USER_LOG = Path.home() / ".cache" / "docker-course" / "dockerd.log"
INSTALL_HINT = (
    "Install Docker: sudo apt-get install docker.io (Debian/Ubuntu), or Docker Engine from "
    "https://docs.docker.com/engine/install/ on other systems"
)

_started: list[subprocess.Popen[bytes]] = []  # keeps our dockerd's handle alive


class EngineUnavailable(SetupError, RuntimeError):
    """The Docker engine cannot be reached; the message says what to do."""

    summary = "The Docker engine is not available."


def connect(*, start: bool = True, install: bool = True, timeout_s: float = 60) -> docker.DockerClient:
    """A client of the host's engine, starting (and installing) dockerd when allowed."""
    client, error = _try_connect()
    if client is not None:
        return client
    if _permission_denied(error):
        raise EngineUnavailable(_group_advice())
    if os.environ.get("DOCKER_HOST"):
        raise EngineUnavailable(
            f"The engine at DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer ({error}). "
            "Start that engine, or unset DOCKER_HOST to use the local one."
        )
    if not (start and system.is_root()):
        raise EngineUnavailable(_start_advice())
    if not dockerd_installed():
        _install_engine(install)
    return _wait_for_engine(start_dockerd(), timeout_s)


def _try_connect() -> tuple[docker.DockerClient | None, Exception | None]:
    """A client that answered a ping, or the error that stopped it."""
    try:
        client = docker.from_env()
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        return None, error
    return client, None


def _permission_denied(error: Exception | None) -> bool:
    socket = _socket_path()
    if socket is not None and socket.exists() and not os.access(socket, os.R_OK | os.W_OK):
        return True
    return error is not None and "permission denied" in str(error).lower()


def _socket_path() -> Path | None:
    """The engine's unix socket (None when DOCKER_HOST names another kind of address)."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return DEFAULT_SOCKET
    return Path(host.removeprefix("unix://")) if host.startswith("unix://") else None


def _group_advice() -> str:
    return (
        f"You may not use the Docker engine's socket {_socket_path() or DEFAULT_SOCKET}. "
        "Add yourself to the docker group: sudo usermod -aG docker $USER, "
        "then log out and back in (or run `newgrp docker`) and try again."
    )


def _start_advice() -> str:
    start = "sudo systemctl start docker (without systemd: sudo dockerd &)"
    if dockerd_installed():
        return f"The Docker engine is not running. Start it: {start}, then try again."
    return f"The Docker engine is not installed. {INSTALL_HINT}, then start it: {start}."


def dockerd_installed() -> bool:
    return shutil.which("dockerd") is not None or Path("/usr/sbin/dockerd").exists()


def _install_engine(allowed: bool) -> None:
    if not (allowed and system.is_debian_like()):
        raise EngineUnavailable(f"The Docker engine is not installed. {INSTALL_HINT}.")
    try:
        system.ensure_packages("docker.io")
    except system.MissingPackages as error:
        raise EngineUnavailable(f"Installing the Docker engine failed: {error}") from error


def dockerd_log() -> Path:
    """Where a dockerd the grader starts writes its log."""
    if os.access(SYSTEM_LOG.parent, os.W_OK):
        return SYSTEM_LOG
    USER_LOG.parent.mkdir(parents=True, exist_ok=True)
    return USER_LOG


def start_dockerd() -> subprocess.Popen[bytes]:
    """Start dockerd in the background, in its own session so it outlives us."""
    with dockerd_log().open("ab") as log:
        process = subprocess.Popen(
            [shutil.which("dockerd") or "/usr/sbin/dockerd"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _started.append(process)
    return process


def _wait_for_engine(process: subprocess.Popen[bytes], timeout_s: float) -> docker.DockerClient:
    """Poll the new engine until it answers, it dies or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        client, error = _try_connect()
        if client is not None:
            return client
        if process.poll() is not None:
            raise EngineUnavailable(
                f"dockerd exited with code {process.returncode}. The end of {dockerd_log()}:\n"
                f"{_log_tail()}\nFix the problem it reports, then try again."
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EngineUnavailable(
                f"dockerd started but did not answer within {timeout_s:.0f} s ({error}). "
                f"Look at {dockerd_log()} for the reason."
            )
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 1.0)


def _log_tail() -> str:
    try:
        return last_lines(dockerd_log().read_text(errors="replace"))
    except OSError:
        return "(no log)"


def engine_facts(client: docker.DockerClient) -> dict[str, Any]:
    """What `grader doctor` reports about the engine."""
    info = client.info()
    version = client.version()
    return {
        "version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "cgroup_version": info.get("CgroupVersion"),
        "cgroup_driver": info.get("CgroupDriver"),
        "storage_driver": info.get("Driver"),
        "root_dir": info.get("DockerRootDir"),
        "operating_system": info.get("OperatingSystem"),
        "kernel_version": info.get("KernelVersion"),
    }
