"""BuildKit through the guard, as a student types it: the docker CLI 26.1 with buildx 0.13 against a
BuildKit engine (docker.io 26.1), each on Debian trixie.

The images are test-only (`bkguard-test/...`, made from a debootstrapped trixie root with
docker.io, docker-cli and docker-buildx; see the report of branch `bkguard`) until the sandbox
engine itself moves to trixie; without them these tests are skipped.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from grader.host import labels
from grader.sandbox.guard import Guard
from grader.sandbox.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ENGINE = "bkguard-test/trixie-engine:26.1"
CLI = "bkguard-test/trixie-docker:26.1"
LIMITS = SandboxLimits(memory="1g", disk="1g", pids=512)
DOCKERFILE = """FROM busybox
RUN <<EOT
echo hello > /greeting
EOT
COPY --chmod=755 run.sh /run.sh
RUN --mount=type=cache,target=/cache echo cached > /cache/x && cat /greeting
"""


@pytest.fixture(scope="module")
def guard(host_engine: docker.DockerClient) -> Iterator[Guard]:
    for image in (ENGINE, CLI):
        try:
            host_engine.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.skip(f"the test image {image} is not on this machine")
    with Sandbox(host_engine, ENGINE, run_id=labels.new_run_id(), limits=LIMITS) as sandbox:
        sandbox.load_images(["busybox:latest"])
        with Guard(sandbox.socket) as guard:
            yield guard


@pytest.fixture(scope="module")
def cli(host_engine: docker.DockerClient, guard: Guard) -> Iterator[Container]:
    container = host_engine.containers.run(
        CLI,
        ["sleep", "infinity"],
        detach=True,
        labels=labels.run_labels(labels.new_run_id()),
        environment={"DOCKER_HOST": "unix:///guard/docker.sock"},
        network_mode="none",
        volumes={str(guard.socket.parent): {"bind": "/guard", "mode": "ro"}},
    )
    code, _ = container.exec_run(["sh", "-c", "mkdir /c && cd /c && echo 'echo hi' > run.sh"])
    assert code == 0
    container.put_archive("/c", _tar({"Dockerfile": DOCKERFILE, "Insecure": INSECURE}))
    yield container
    container.remove(force=True)


INSECURE = "FROM busybox\nRUN --security=insecure id\n"


def _tar(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sh(cli: Container, script: str) -> tuple[int, str]:
    code, out = cli.exec_run(["timeout", "120", "bash", "-c", f"cd /c && {script} 2>&1"])
    return code, out.decode(errors="replace")


def test_a_modern_dockerfile_builds_through_the_guard(cli: Container) -> None:
    code, out = sh(cli, "docker build --progress=plain -t modern . && docker run --rm modern ls -l /run.sh")
    assert code == 0, out
    assert "hello" in out
    assert "-rwxr-xr-x" in out


@pytest.mark.parametrize(
    ("command", "refused"),
    [
        ("docker buildx build --allow network.host --network host .", "`--network host` on a build"),
        ("docker buildx build --allow security.insecure -f Insecure .", "`--allow security.insecure`"),
        (
            "docker build https://github.com/docker-library/hello-world.git",
            "the build context `https://github.com/docker-library/hello-world.git` reaches outside",
        ),
        ("docker buildx build --build-context base=docker-image://alpine .", "`--build-context base="),
        ("docker buildx build --cache-from type=registry,ref=example.com/c .", "`--cache-from`"),
        ("docker buildx build --push -t example.com/x .", "`--push`"),
    ],
)
def test_each_build_refusal_as_a_student_types_it(
    cli: Container, guard: Guard, command: str, refused: str
) -> None:
    before = len(guard.refusals)
    code, out = sh(cli, command)
    assert code != 0
    assert "PermissionDenied: Refused: " in out and refused in out, out
    assert any(refused in refusal.message for refusal in guard.refusals[before:])
