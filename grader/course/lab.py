"""`grader lab`: JupyterLab on the students' notebooks, on an engine chosen for the course.

The notebooks teach BuildKit (heredocs, `COPY --chmod`, cache and secret mounts) and `docker compose`
v2, which need engine 25 or newer with the buildx and compose CLI plugins. A student's own engine
that has them runs the notebooks, as the course intends (their containers, their ports on localhost);
one that has not (Debian bookworm's 20.10, say) is left alone and the course brings a current engine
of its own (grader.course.lab_engine), removed with everything in it when the lab stops.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import docker

from grader.course.lab_engine import TRANSPORT, course_engine
from grader.errors import SetupError
from grader.host import engine as host_engine

Engine = Literal["auto", "host", "course"]
ENGINES: tuple[Engine, ...] = ("auto", "host", "course")
CURRENT = 25  # the oldest engine (major version) that builds and composes as the notebooks teach
PLUGIN_TIMEOUT_S = 20


@dataclass(frozen=True)
class HostFacts:
    """What the student's own engine and CLI offer: the engine's version, and the two plugins."""

    version: str
    buildx: bool
    compose: bool


def facts(client: docker.DockerClient) -> HostFacts:
    """The host engine's version (the server's) and whether the docker CLI has buildx and compose."""
    version = str(client.version().get("Version", "0"))
    return HostFacts(version, _plugin("buildx"), _plugin("compose"))


def _plugin(name: str) -> bool:
    """Whether `docker NAME version` works with the student's docker CLI."""
    try:
        done = subprocess.run(
            ["docker", name, "version"], capture_output=True, timeout=PLUGIN_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def major(version: str) -> int:
    """An engine version's major number (`20.10.24+dfsg1` is 20); 0 when it has none."""
    found = re.match(r"\s*v?(\d+)", version)
    return int(found.group(1)) if found else 0


def choose(asked: Engine, found: HostFacts) -> tuple[Literal["host", "course"], str]:
    """The engine the lab runs on, and why, in a few words."""
    if asked != "auto":
        return asked, f"asked for with --engine {asked}"
    lacks = [
        *([f"engine {found.version} is older than {CURRENT}"] if major(found.version) < CURRENT else []),
        *([] if found.buildx else ["the docker CLI has no buildx plugin"]),
        *([] if found.compose else ["the docker CLI has no compose (v2) plugin"]),
    ]
    if lacks:
        return "course", "; ".join(lacks)
    return "host", f"engine {found.version} with buildx and compose"


def jupyter_lab(folder: Path, *extra: str) -> list[str]:
    """The command that serves `folder` in JupyterLab, from this Python's environment."""
    return [
        str(Path(sys.executable).parent / "jupyter-lab"),
        "--allow-root",
        f"--notebook-dir={folder}",
        *extra,
    ]


def serve(command: list[str], folder: Path, env: dict[str, str] | None = None) -> int:
    """Run JupyterLab in the course folder above `folder` (where nbgrader finds its configuration) until
    it stops; on Ctrl-C, stop it cleanly (SIGTERM) and pass the interrupt on."""
    try:
        server = subprocess.Popen(command, cwd=folder.resolve().parent, env=env)
    except OSError as failed:
        raise SetupError(f"JupyterLab could not be started: {failed}") from None
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        raise


def lab(folder: Path, asked: Engine, say: Callable[[str], None], options: tuple[str, ...] = ()) -> int:
    """Serve the notebooks in `folder` in JupyterLab (given `options`) on the engine `choose` picks;
    JupyterLab's exit code."""
    host = host_engine.connect()  # the course engine runs on it too
    where, why = choose(asked, facts(host))
    say(f"Engine: {'your own' if where == 'host' else 'the course engine'} ({why}).")
    if where == "host":
        return serve(jupyter_lab(folder, *options), folder)
    with course_engine(host, folder) as started:
        say(f"The course engine (Docker {started.client.version()['Version']}) is up; Ctrl-C stops it.")
        runtime = {"JUPYTER_RUNTIME_DIR": str(started.runtime), "JUPYTER_PATH": str(started.runtime)}
        command = jupyter_lab(folder, f"--KernelManager.transport={TRANSPORT}", *options)
        return serve(command, folder, {**os.environ, **runtime})
