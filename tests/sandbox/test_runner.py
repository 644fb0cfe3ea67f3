"""The runner: setup.sh runs with the docker CLI behind the guard, in its folder, blind to the host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.context import pack
from grader.sandbox.guard import guard_of
from grader.sandbox.runner import ScriptResult, run_script
from grader.sandbox.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("leaves_nothing")]

SMALL = SandboxLimits(memory="512m", disk="256m", pids=256)
Run = Callable[..., ScriptResult]


@pytest.fixture
def run(host_engine: docker.DockerClient, tmp_path: Path) -> Iterator[Run]:
    """Run a setup.sh (and its files) in a fresh sandbox behind a guard."""
    opened: list[Sandbox] = []

    def run_it(text: str, *, timeout_s: float = 30, **files: str) -> ScriptResult:
        (tmp_path / "setup.sh").write_text(text)
        for name, content in files.items():
            (tmp_path / name).write_text(content)
        packed = pack(tmp_path, limit_bytes=1 << 20, required="setup.sh")
        sandbox = Sandbox(
            host_engine,
            sandbox_engine.chosen(),
            run_id=labels.new_run_id(),
            limits=SMALL,
            submission=packed.tar,
        )
        opened.append(sandbox)
        sandbox.start()
        sandbox.load_images(["busybox:latest"])
        with guard_of(sandbox) as guard:  # as grade_setup
            result = run_script(
                host_engine, sandbox, guard_socket=guard.socket, script="setup.sh", timeout_s=timeout_s
            )
            result.refusals = [f"{r.method} {r.path}: {r.message}" for r in guard.refusals]
            return result

    yield run_it
    for sandbox in opened:
        sandbox.close()


def test_output_and_exit_code_come_back(run: Run) -> None:
    result = run("echo to stdout; echo to stderr >&2; exit 4\n")
    assert (result.exit_code, result.timed_out) == (4, False)
    assert result.output == "to stdout\nto stderr\n"
    assert (
        result.summary("setup.sh", 30)
        == "setup.sh ended with exit code 4: a command in it failed (see its output)."
    )


def test_the_script_runs_in_its_folder_with_its_files(run: Run) -> None:
    result = run("pwd; cat note.txt; echo made > new.txt && cat new.txt\n", **{"note.txt": "a note\n"})
    assert result.exit_code == 0, result.output
    assert result.output == "/submission\na note\nmade\n"


def test_the_docker_cli_reaches_the_sandbox_engine_only_through_the_guard(run: Run) -> None:
    result = run(
        "echo $DOCKER_HOST\n"
        "docker run --rm busybox echo from a container\n"
        "ls /run/sandbox /var/run/docker.sock /run/containerd 2>&1 | wc -l\n"
        "test -e /var/run/docker.sock || echo no engine socket here\n"
    )
    lines = result.output.splitlines()
    assert lines[0].startswith("unix:///run/guard/")
    assert "from a container" in lines
    assert "no engine socket here" in lines


def test_localhost_is_the_sandbox_so_published_ports_answer_there(run: Run) -> None:
    result = run(
        "docker run -d -p 45678:8080 busybox sh -c 'echo hi > /i.html && exec httpd -f -p 8080 -h /'\n"
        "for i in $(seq 50); do wget -q -O - http://localhost:45678/i.html && break; sleep 0.1; done\n"
    )
    assert result.output.splitlines()[-1] == "hi", result.output


def test_nothing_of_the_host_is_visible(run: Run) -> None:
    result = run(f"test -e {Path(__file__).resolve()} && echo visible || echo hidden\n")
    assert result.output == "hidden\n"


def test_a_script_that_never_ends_is_stopped_at_its_time_limit(run: Run) -> None:
    result = run("echo started; sleep 600\n", timeout_s=3)
    assert (result.exit_code, result.timed_out) == (None, True)
    assert result.output == "started\n"
    assert result.summary("setup.sh", 3) == "setup.sh did not finish within 3 s and was stopped."
    assert result.duration_s < 15


def test_a_folder_of_the_submission_can_be_shared_with_a_container(run: Run) -> None:
    """Both ways, under the sandbox's user namespace too: the submission is its containers' root's."""
    result = run(
        "mkdir data && echo hi > data/f\n"
        'docker run --rm -v "$PWD/data:/d" busybox cat /d/f\n'
        'docker run --rm --mount "type=bind,source=$PWD/data,target=/d,readonly" busybox cat /d/f\n'
        'docker run --rm -v "$PWD:/s" busybox sh -c "echo back > /s/data/g && echo and > /s/given.txt"\n'
        "cat data/g given.txt && echo again >> data/g && rm data/g\n",
        **{"given.txt": "handed in\n"},
    )
    assert (result.exit_code, result.output) == (0, "hi\nhi\nback\nand\n"), result.output


PLANTED_LINKS = {
    "a link to the engine's folder": 'ln -s /run/sandbox esc\ndocker run --rm -v "$PWD/esc:/x" busybox ls /x',
    "a link to / then a path": 'ln -s / root\ndocker run --rm -v "$PWD/root/run/sandbox:/x" busybox ls /x',
    "a link as a bind volume's device": (
        "ln -s /run/sandbox esc\n"
        'docker volume create --opt type=none --opt o=bind --opt "device=$PWD/esc" linked >/dev/null\n'
        "docker run --rm -v linked:/x busybox ls /x; status=$?\n"
        "docker volume rm linked >/dev/null; exit $status"
    ),
}


@pytest.mark.hostile
@pytest.mark.parametrize("script", PLANTED_LINKS.values(), ids=PLANTED_LINKS)
def test_a_symbolic_link_planted_in_the_submission_leads_no_bind_to_the_engine(run: Run, script: str) -> None:
    """The guard allows binds under /submission; the engine cannot follow a link there (nosymfollow)."""
    result = run(script + "\n")
    assert result.exit_code != 0, result.output
    assert "docker.sock" not in result.output
    assert result.refusals == [], "the guard let it through: the engine itself did not follow the link"
    assert "Error response from daemon" in result.output, result.output


COMPOSE = """\
services:
  web:
    image: busybox
    command: httpd -f -p 80
  client:
    image: busybox
    command: sh -c 'echo client started; sleep 300'
    depends_on: [web]
"""


def test_a_compose_v2_project_comes_up_and_down_through_the_guard(run: Run) -> None:
    result = run(
        "docker compose up -d 2>&1\n"
        "docker compose ps --format '{{.Service}} {{.State}}'\n"
        "sleep 1; docker compose logs --no-color client\n"
        "docker compose exec -T client wget -q -O /dev/null http://web/ 2>&1 | head -1\n"
        "docker compose down 2>&1 && docker ps -aq | wc -l\n",
        timeout_s=90,
        **{"compose.yaml": COMPOSE},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "client running" in lines and "web running" in lines
    assert any(line.endswith("| client started") for line in lines)
    assert "wget: server returned error: HTTP/1.1 404 Not Found" in lines  # web answered, by its name
    assert lines[-1] == "0"


def test_a_compose_file_asking_for_what_is_refused_is_refused(run: Run) -> None:
    privileged = COMPOSE.replace("command: httpd -f -p 80", "command: httpd -f -p 80\n    privileged: true")
    result = run("docker compose up -d 2>&1\n", timeout_s=60, **{"compose.yaml": privileged})
    assert result.exit_code != 0
    assert "Refused: compose service `web`: " in result.output and "--privileged" in result.output


def test_docker_build_and_buildx_build_use_buildkit_through_the_guard(run: Run) -> None:
    result = run(
        "docker build -q -t mine . >/dev/null && docker run --rm mine cat /made\n"
        "docker buildx build -q -t other . >/dev/null && docker run --rm other cat /made\n",
        timeout_s=90,
        Dockerfile="FROM busybox\nRUN <<EOT\necho built > /made\nEOT\n",
    )
    assert result.output.splitlines()[-2:] == ["built", "built"], result.output
    assert result.refusals == []


def test_a_compose_service_is_built_from_its_dockerfile(run: Run) -> None:
    result = run(
        "docker compose up --build 2>&1 | grep -o 'app-1  | .*'; docker compose down >/dev/null 2>&1\n",
        timeout_s=90,
        **{
            "compose.yaml": "services:\n  app:\n    build: .\n    command: cat /made\n",
            "Dockerfile": "FROM busybox\nRUN <<EOT\necho built > /made\nEOT\n",
        },
    )
    assert result.output.splitlines() == ["app-1  | built"], (result.output, result.refusals)
    assert result.refusals == []
