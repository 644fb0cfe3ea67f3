"""`grader check` as a student runs it: a table or JSON, click's usage errors, and clean interrupts."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from grader.exit_codes import Exit
from grader.host import labels
from grader.model.exercise import SOLUTIONS
from tests.conftest import restore_ctrl_c

pytestmark = [pytest.mark.docker, pytest.mark.slow]

GRADER = str(Path(sys.executable).parent / "grader")
HELLO = "dockerfiles.hello"
ENDLESS = "FROM busybox\nRUN while true; do sleep 1; done\n"
STARTUP_S = 60
EXIT_S = 20


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GRADER, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def test_a_reference_solution_prints_full_marks() -> None:
    done = grader("check", HELLO, str(SOLUTIONS / HELLO))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10/10 points" in done.stdout
    assert "prints hello" in done.stdout


def test_json_output_parses_and_scores_full_marks() -> None:
    done = grader("check", "--json", HELLO, str(SOLUTIONS / HELLO))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["exercise"], result["status"]) == (HELLO, "graded")
    assert result["score"] == result["max_score"] == 10
    assert all(check["passed"] for check in result["checks"])


def test_a_missing_submission_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = grader("check", HELLO, str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def _ours(host: docker.DockerClient, pid: int) -> dict[str, list[str]]:
    """What the grading process `pid` made and has not removed."""
    label = f"{labels.OWNER_PID}={pid}"
    return {
        "containers": [c.name for c in host.containers.list(all=True, filters={"label": label})],
        "volumes": [v.name for v in host.volumes.list(filters={"label": label})],
        "folders": [p.name for p in Path(tempfile.gettempdir()).glob(f"grader-{pid}-*")],
    }


def _wait_mid_build(host: docker.DockerClient, process: subprocess.Popen[str]) -> None:
    """Wait until the build runs the endless RUN step (its builder's plain progress shows it)."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        label = f"{labels.OWNER_PID}={process.pid}"
        for builder in host.containers.list(filters={"label": label, "name": "grader-build-"}):
            with contextlib.suppress(docker.errors.DockerException):
                if b"] RUN " in builder.logs():
                    return
        time.sleep(0.1)
    pytest.fail(f"the sandbox did not start building within {STARTUP_S} s")


@pytest.fixture
def endless(tmp_path: Path) -> Path:
    folder = tmp_path / "endless"
    folder.mkdir()
    (folder / "Dockerfile").write_text(ENDLESS)
    return folder


@pytest.fixture
def grading(endless: Path, host_engine: docker.DockerClient) -> Iterator[subprocess.Popen[str]]:
    """`grader check` of an endless build, running; killed and cleaned up whatever the test does."""
    process = subprocess.Popen(
        [GRADER, "check", HELLO, str(endless)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=restore_ctrl_c,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        _remove(host_engine, process.pid)


def _remove(host: docker.DockerClient, pid: int) -> None:
    """Remove what a failed test's grading process left (nothing, when the test passes)."""
    label = f"{labels.OWNER_PID}={pid}"
    for container in host.containers.list(all=True, filters={"label": label}):
        container.remove(force=True, v=True)
    for volume in host.volumes.list(filters={"label": label}):
        volume.remove(force=True)
    for folder in Path(tempfile.gettempdir()).glob(f"grader-{pid}-*"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_mid_build_stops_and_leaves_nothing(
    host_engine: docker.DockerClient, grading: subprocess.Popen[str], sent: signal.Signals
) -> None:
    _wait_mid_build(host_engine, grading)
    assert all(_ours(host_engine, grading.pid).values()), "the run's objects are not all there"
    grading.send_signal(sent)
    output, _ = grading.communicate(timeout=EXIT_S)
    assert grading.returncode == Exit.INTERRUPTED, output
    assert "Aborted!" in output
    assert "Traceback" not in output
    assert _ours(host_engine, grading.pid) == {"containers": [], "volumes": [], "folders": []}
