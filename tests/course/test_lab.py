"""`make lab` as a student meets it: JupyterLab in Chromium runs a handed-out notebook top to bottom,
on the student's own engine and on the course engine (`grader lab --engine course`).

The page shows the check cells' feedback tables and the quiz widgets, nbgrader's
Validate button is in the toolbar, no traceback appears, and the clean-up cell leaves
the engine as it was.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from grader.commands.notebooks import release
from grader.host import labels
from tests.course.test_running_notebooks import state

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ASSIGNMENT = "01-run-flow"
START_TIMEOUT_S = 90  # the course engine starts first
RUN_TIMEOUT_MS = 240_000
KERNEL_START_TIMEOUT_MS = 120_000
KERNEL_IDLE = "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText ?? '')"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["host", "course"])
def lab(
    request: pytest.FixtureRequest,
    course_dir: Path,
    tmp_path: Path,
    kernel_image: str,
    host_engine: docker.DockerClient,
) -> Iterator[str]:
    """JupyterLab serving the students' notebooks, as `make lab` starts it (`grader lab`), on the host's
    engine or on the course engine; its address. Stopped as a student stops it (Ctrl-C, here SIGTERM,
    which the grader treats alike), which removes the course engine."""
    release(ASSIGNMENT, course=course_dir)
    settings = course_dir / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell in the page, not only those scrolled into view, so the test can read them all
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = free_port()
    said = tmp_path / "grader-lab.out"
    with said.open("w") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "grader"),
                "lab",
                f"--engine={request.param}",
                "--folder=release",
                "--",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                "--IdentityProvider.token=",
            ],
            cwd=course_dir,
            env={**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(course_dir / "lab-settings")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{address}/api/status")
        yield address
    finally:
        server.terminate()
        server.wait(timeout=60)
        print(said.read_text()[-5000:])  # shown when the test fails: what `grader lab` said
    if request.param == "course":
        assert "(Docker 26." in said.read_text(), said.read_text()
        assert _labelled(host_engine, server.pid) == [], "stopping the lab removed the course engine"


def _labelled(host: docker.DockerClient, pid: int) -> list[str]:
    """The containers, volumes and networks the process `pid` labelled as its own."""
    mine = {"label": f"{labels.OWNER_PID}={pid}"}
    return [
        *(c.name for c in host.containers.list(all=True, filters=mine)),
        *(v.name for v in host.volumes.list(filters=mine)),
        *(n.name for n in host.networks.list(filters=mine)),
    ]


def wait_for(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer at {url} within {START_TIMEOUT_S} s")


def test_a_student_runs_the_first_notebook_in_jupyterlab(
    lab: str, browser: object, host_engine: docker.DockerClient
) -> None:
    before = state(host_engine)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{lab}/lab/tree/{ASSIGNMENT}/run-flow.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector("text=Validate", timeout=30_000)  # nbgrader's student toolbar
        # the kernel has started: Run All before that is dropped (the toolbar's indicator says
        # idle already while the status bar still says Initializing)
        page.wait_for_function(KERNEL_IDLE, timeout=KERNEL_START_TIMEOUT_MS)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        text = _run_to_the_end(page)
        widgets = page.locator(".jupyter-widgets button", has_text="Check").count()
    finally:
        page.close()
    assert "busybox" in text, "the first command ran on the engine"
    assert "A named run: 0/3" in text and "Expected:" in text, "check cells show feedback tables"
    assert "Error" not in text.replace("ExitCode", ""), _around(text, "Error")
    assert widgets >= 8, "the quiz's questions render as widgets"
    assert state(host_engine) == before


def _run_to_the_end(page: Any) -> str:
    """The notebook's text once the clean-up cell has printed; a failure shows what the page showed.

    Run All stops at a cell that raises, so a traceback ends the wait as well as the clean-up does.
    """
    try:
        page.wait_for_selector("text=/Removed: |Nothing to remove|Traceback/", timeout=RUN_TIMEOUT_MS)
    except PlaywrightTimeout:
        text = page.inner_text(".jp-Notebook")
        running = page.locator(".jp-InputPrompt", has_text="[*]").count()
        pytest.fail(
            f"The notebook did not run to its clean-up cell within {RUN_TIMEOUT_MS // 1000} s "
            f"({running} cells still running or queued). The page ends with:\n{text[-3000:]}"
        )
    text = str(page.inner_text(".jp-Notebook"))
    assert "Traceback" not in text, _around(text, "Traceback")
    return text


def _around(text: str, word: str) -> str:
    """The part of the page's text around `word`, for a failure message."""
    at = max(text.find(word), 0)
    return f"The page shows {word!r}:\n{text[max(at - 1500, 0) : at + 1500]}"
