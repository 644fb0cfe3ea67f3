"""`grader lab` picks the engine the notebooks run on: the student's own when it is current (25 or
newer, with buildx and compose), else the course engine, which it starts and removes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docker
import pytest

from grader.course import lab
from grader.course.lab import HostFacts, choose, major
from grader.host import leftovers

CURRENT = HostFacts("28.2.2", buildx=True, compose=True)


@pytest.mark.parametrize(
    ("found", "engine", "why"),
    [
        (CURRENT, "host", "engine 28.2.2 with buildx and compose"),
        (HostFacts("25.0.0", True, True), "host", "engine 25.0.0"),
        (HostFacts("20.10.24+dfsg1", True, True), "course", "engine 20.10.24+dfsg1 is older than 25"),
        (HostFacts("24.0.7", True, True), "course", "older than 25"),
        (HostFacts("28.2.2", True, False), "course", "no compose (v2) plugin"),
        (HostFacts("28.2.2", False, True), "course", "no buildx plugin"),
    ],
)
def test_auto_takes_the_students_engine_only_when_it_is_current(
    found: HostFacts, engine: str, why: str
) -> None:
    chosen, said = choose("auto", found)
    assert chosen == engine and why in said


def test_asked_for_an_engine_the_student_gets_it() -> None:
    assert choose("host", HostFacts("20.10.24", False, False))[0] == "host"
    assert choose("course", CURRENT) == ("course", "asked for with --engine course")


def test_an_engine_version_s_major_number() -> None:
    assert [major(v) for v in ("20.10.24+dfsg1", "v25.0.1", "29.0.0-rc.1", "", "dev")] == [20, 25, 29, 0, 0]


@pytest.mark.docker
def test_on_an_old_engine_the_lab_runs_on_a_course_engine_then_removes_it(
    host_engine: docker.DockerClient, kernel_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lab, "facts", lambda client: HostFacts("20.10.24+dfsg1", buildx=True, compose=True))
    served: list[dict[str, str]] = []

    def jupyter(command: list[str], folder: Path, env: dict[str, str] | None = None) -> int:
        assert env is not None and f"--notebook-dir={tmp_path}" in command and folder == tmp_path
        assert "--KernelManager.transport=ipc" in command
        spec = json.loads((Path(env["JUPYTER_PATH"]) / "kernels" / "python3" / "kernel.json").read_text())
        assert spec["display_name"] == "Python 3 (course engine)"
        served.append(env)
        raise KeyboardInterrupt  # the student's Ctrl-C

    monkeypatch.setattr(lab, "serve", jupyter)
    said: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        lab.lab(tmp_path, "auto", said.append)
    assert said[0] == "Engine: the course engine (engine 20.10.24+dfsg1 is older than 25)."
    assert "(Docker 26." in said[1]
    runtime = Path(served[0]["JUPYTER_RUNTIME_DIR"])
    assert not runtime.exists(), "Ctrl-C removed the course engine's folders"
    run_id = runtime.name.split("-")[2]
    assert leftovers.of_run(host_engine, run_id) == [], "and its containers, volumes and network"
    assert served[0]["PATH"] == os.environ["PATH"], "JupyterLab keeps the student's environment"
