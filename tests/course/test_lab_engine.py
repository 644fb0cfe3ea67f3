"""The course engine (`grader lab` on an old engine, and the notebook tests): a current engine whose
kernels run cells as on a student's machine, and which leaves nothing on the host once stopped."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import docker
import nbformat
import pytest
from nbformat import NotebookNode

from grader.course.lab_engine import KERNEL_NAME, CourseEngine, course_engine, kernel_manager
from grader.host import leftovers
from grader.host.baseimages import sandbox_engine
from grader.sandbox.sandbox import CAPABILITIES
from tests.course.notebooks import run_notebook

pytestmark = pytest.mark.docker

WEB = (
    "docker run -d --name web -p 18080:80 busybox "
    "sh -c 'mkdir /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www'"
)
FETCH = """\
import time, urllib.request
for attempt in range(50):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:18080/", timeout=2).read().decode())
        break
    except OSError:
        time.sleep(0.1)
"""
HEREDOC = "FROM busybox\nRUN <<EOF\necho made by a heredoc > /made\nEOF\nCMD cat /made\n"


def cells_run(engine: CourseEngine, tmp_path: Path, *sources: str) -> list[str]:
    """Each cell's text output, run in a notebook of the course engine's folder by its kernel."""
    folder = tmp_path / "cells"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(notebook, folder / "cells.ipynb")
    ran = run_notebook(folder / "cells.ipynb", engine).notebook
    return [_text(cell) for cell in ran.cells]


def _text(cell: NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        if output.output_type == "stream"
        else f"{output.get('ename')}: {output.get('evalue')}"
        for output in cell.outputs
    )


def test_the_course_engine_is_current_with_buildx_and_compose(
    lab_engine: CourseEngine, tmp_path: Path
) -> None:
    major = sandbox_engine.versions_of(sandbox_engine.chosen()).get("docker", "26").split(".")[0]
    assert lab_engine.client.version()["Version"].startswith(f"{major}."), "GRADER_SANDBOX_ENGINE's"
    server, buildx, compose = cells_run(
        lab_engine,
        tmp_path,
        "!docker version | sed -n '/^Server/,$p' | grep -m1 ' Version:'",
        "!docker buildx version",
        "!docker compose version",
    )
    assert server.split()[-1].startswith(f"{major}."), "the kernel's docker CLI talks to the course engine"
    assert "buildx" in buildx and "Docker Compose version v2" in compose.replace("version 2", "version v2")


def test_a_cell_reaches_a_port_a_container_published_on_127_0_0_1(
    lab_engine: CourseEngine, tmp_path: Path
) -> None:
    outputs = cells_run(lab_engine, tmp_path, f"!{WEB} >/dev/null", FETCH, "!docker rm -f web >/dev/null")
    assert outputs[1].strip() == "served", outputs
    assert lab_engine.client.containers.list(all=True) == []


def test_binds_of_the_notebooks_folder_read_and_write_it(lab_engine: CourseEngine, tmp_path: Path) -> None:
    outputs = cells_run(
        lab_engine,
        tmp_path,
        "!mkdir -p data && echo from the kernel > data/said",
        '!docker run --rm -v "$PWD/data:/data" busybox '
        'sh -c "cat /data/said; echo from a container >/data/back"',
        "!cat data/back; pwd",
    )
    assert outputs[1].strip() == "from the kernel", outputs
    back, where = outputs[2].strip().splitlines()
    assert back == "from a container"
    assert (Path(where) / "data" / "back").read_text() == "from a container\n", "the host's folder, no copy"


def test_a_dockerfile_with_a_heredoc_builds_with_buildkit(lab_engine: CourseEngine, tmp_path: Path) -> None:
    outputs = cells_run(
        lab_engine,
        tmp_path,
        f"open('Dockerfile', 'w').write({HEREDOC!r})",
        "!docker build -q -t course-heredoc . >/dev/null && docker run --rm course-heredoc",
        "!docker rmi -f course-heredoc >/dev/null",
    )
    assert outputs[1].strip() == "made by a heredoc", outputs


HELLO = 'FROM busybox\nRUN <<EOT\necho building simple docker image\nEOT\nCMD ["echo", "Hello container"]\n'
CHECK_CELL = """\
from grader.notebook import check
score = check("dockerfiles.hello", "hello")
print(score.points, score.result.max_score, score.result.log.count("RUN <<EOT"))
print([(check.name, check.found) for check in score.result.checks if not check.passed])
"""


def test_a_check_cell_builds_a_heredoc_dockerfile_with_buildkit(
    lab_engine: CourseEngine, tmp_path: Path
) -> None:
    """A check cell in the course engine's kernel builds with the kernel's buildx: a heredoc, which the
    engine API's classic builder cannot read, earns full marks, and the build's log is BuildKit's."""
    outputs = cells_run(
        lab_engine,
        tmp_path,
        f"import os; os.makedirs('hello'); open('hello/Dockerfile', 'w').write({HELLO!r})",
        CHECK_CELL,
    )
    points, most, heredoc_steps = outputs[1].splitlines()[0].split()
    assert float(points) == float(most) > 0 and int(heredoc_steps) >= 1, outputs
    assert lab_engine.client.containers.list(all=True) == []


def test_the_kernelspec_runs_the_kernel_in_the_kernel_container(lab_engine: CourseEngine) -> None:
    spec = json.loads((lab_engine.kernels / KERNEL_NAME / "kernel.json").read_text())
    assert spec["interrupt_mode"] == "message"
    assert lab_engine.kernel.name in spec["argv"] and "{connection_file}" in spec["argv"]


def test_a_stopped_course_engine_leaves_nothing_on_the_host(
    host_engine: docker.DockerClient, kernel_image: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    with course_engine(host_engine, tmp_path) as engine:
        took = time.monotonic() - started
        run_id, folders = engine.sandbox.run_id, [engine.runtime, engine.sandbox.socket.parent]
        kinds = {item.kind for item in leftovers.of_run(host_engine, run_id)}
        assert {"container", "volume", "network"} <= kinds and all(folder.is_dir() for folder in folders)
        engine.client.containers.run("busybox", "sleep 600", name="left-running", detach=True)
    assert leftovers.of_run(host_engine, run_id) == [], "containers, volumes and networks removed"
    assert not any(folder.exists() for folder in folders), "socket and runtime folders removed"
    print(f"the course engine started in {took:.1f} s")
    assert took < 60


def test_an_interrupt_stops_the_running_cell_and_the_kernel_goes_on(lab_engine: CourseEngine) -> None:
    manager = kernel_manager(lab_engine)
    manager.start_kernel(cwd=str(lab_engine.folder))
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        started = time.monotonic()
        sleeping = client.execute("import time; time.sleep(60)")
        time.sleep(2)
        manager.interrupt_kernel()  # a message on the control channel: `docker exec` passes no signal
        reply = client.get_shell_msg(timeout=30)
        while reply["parent_header"]["msg_id"] != sleeping:  # a late kernel_info reply of wait_for_ready's
            reply = client.get_shell_msg(timeout=30)
        assert reply["content"]["ename"] == "KeyboardInterrupt" and time.monotonic() - started < 30
        for _ in range(3):  # ipykernel aborts what arrives in the moment after an error (stop_on_error)
            again = client.execute_interactive("print(6 * 7)", timeout=30)
            if again["content"]["status"] != "aborted":
                break
            time.sleep(1)
        assert again["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


def test_the_engine_and_its_kernel_are_confined(
    host_engine: docker.DockerClient, lab_engine: CourseEngine
) -> None:
    engine = host_engine.containers.get(lab_engine.sandbox.container_id).attrs["HostConfig"]
    assert engine["CapDrop"] == ["ALL"] and set(engine["CapAdd"]) == set(CAPABILITIES)
    assert engine["Memory"] > 0 and engine["PidsLimit"] > 0 and not engine["Privileged"]
    assert any(option.startswith("seccomp=") for option in engine["SecurityOpt"])
    kernel = host_engine.containers.get(str(lab_engine.kernel.id)).attrs
    assert kernel["Config"]["User"] == f"{os.getuid()}:{os.getgid()}", "the files it writes are the student's"
    confined = kernel["HostConfig"]
    assert confined["CapDrop"] == ["ALL"] and not confined["CapAdd"] and confined["ReadonlyRootfs"]
    assert "no-new-privileges" in confined["SecurityOpt"] and confined["Memory"] > 0
    assert confined["NetworkMode"] == f"container:{lab_engine.sandbox.container_id}"
