"""BuildKit through the guard, as a student types it: setup.sh scripts run by the real runner
(grader.sandbox.runner) in a real sandbox of docker-course/sandbox-engine-26 (the docker CLI 26.1 with
buildx 0.13 against docker.io 26.1), and one graded end to end, the refusal in the student's feedback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from grader.grading.grade import grade
from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import load
from grader.outputs import feedback
from grader.sandbox.context import pack
from grader.sandbox.guard import buildkit, guard_of
from grader.sandbox.runner import ScriptResult, run_script
from grader.sandbox.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LIMITS = SandboxLimits(memory="1g", disk="1g", pids=512)
DOCKERFILE = """FROM busybox
RUN <<EOT
echo hello > /greeting
EOT
COPY --chmod=755 run.sh /run.sh
RUN --mount=type=cache,target=/cache echo cached > /cache/x && cat /greeting
"""
INSECURE = "FROM busybox\nRUN --security=insecure id\n"
HOST_NETWORK = "docker buildx build --allow network.host --network host ."
REFUSALS = {
    HOST_NETWORK: "`--network host` on a build",
    "docker buildx build --allow security.insecure -f Insecure .": "`--allow security.insecure`",
    "docker build https://github.com/docker-library/hello-world.git": (
        "the build context `https://github.com/docker-library/hello-world.git` reaches outside"
    ),
    "docker buildx build --build-context base=docker-image://alpine .": "`--build-context base=",
    "docker buildx build --cache-from type=registry,ref=example.com/c .": "`--cache-from`",
    "docker buildx build --push -t example.com/x .": "`--push`",
    "docker buildx build --cgroup-parent / .": "`--cgroup-parent`",
    "docker tag busybox moby/buildkit:buildx-stable-1 && docker buildx create --driver docker-container "
    "--bootstrap": "`--privileged`",  # a BuildKit of its own, out of the engine's entitlements and bounds
}
MODERN = "docker build --progress=plain -t modern . && docker run --rm modern ls -l /run.sh"
SYNTAX = "# syntax=docker/dockerfile:1\nFROM busybox\nRUN <<EOT\necho built offline\nEOT\n"
OWN_FRONTEND = "# syntax=own-frontend\nFROM busybox\nRUN echo built by the Dockerfile frontend\n"
SYNTAX_SCRIPT = """docker build --progress=plain -f Syntax .
printf 'FROM busybox\\nENTRYPOINT ["echo", "the own frontend ran"]\\n' | docker build -t own-frontend -
docker build --progress=plain --no-cache -f OwnFrontend .
"""
SECRET_FILE = (
    "FROM busybox\nRUN --mount=type=secret,id=token,required=true sha256sum /run/secrets/token > /sum\n"
)
SECRET = (
    "printf s3cr3t > /tmp/token && "
    "docker buildx build --progress=plain --secret id=token,src=/tmp/token -f Secret -t secret . && "
    "docker run --rm secret cat /sum && printf s3cr3t | sha256sum"
)
STDIN = (
    "tar -cf - Dockerfile run.sh | docker build -q -t fromstdin - && docker run --rm fromstdin ls -l /run.sh"
)
SBOM = """printf 'FROM busybox\\nENTRYPOINT ["echo", "own scanner ran"]\\n' | docker build -q -t own-scanner -
docker buildx build --progress=plain --no-cache --build-arg BUILDKIT_ATTEST_SBOM=generator=own-scanner .
"""
SSH_FILE = "FROM busybox\nRUN --mount=type=ssh,required=true ls -l /run/buildkit/ssh_agent.0\n"
SSH = "docker buildx build --ssh default=key -f Ssh ."


def _ssh_key() -> str:
    """A fresh private key in OpenSSH's format, as `--ssh default=<key file>` reads."""
    key = ed25519.Ed25519PrivateKey.generate()
    encoding, openssh = serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH
    return key.private_bytes(encoding, openssh, serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox holding a script per command (case-N.sh) and the Dockerfiles they build."""
    folder = tmp_path_factory.mktemp("buildkit-cli")
    files = {"Dockerfile": DOCKERFILE, "Insecure": INSECURE, "run.sh": "echo hi\n", "modern.sh": MODERN}
    files |= {"Syntax": SYNTAX, "OwnFrontend": OWN_FRONTEND, "syntax.sh": SYNTAX_SCRIPT}
    files |= {
        "Secret": SECRET_FILE,
        "secret.sh": SECRET,
        "Ssh": SSH_FILE,
        "ssh.sh": SSH,
        "key": _ssh_key(),
        "stdin.sh": STDIN,
        "sbom.sh": SBOM,
    }
    files |= {f"case-{n}.sh": f"{command}\n" for n, command in enumerate(REFUSALS)}
    for name, text in files.items():
        (folder / name).write_text(text)
    packed = pack(folder, limit_bytes=1 << 20, required="Dockerfile")
    run_id = labels.new_run_id()
    with Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=run_id, limits=LIMITS, submission=packed.tar
    ) as made:
        made.load_images(["busybox:latest"])
        yield made


def _run(host: docker.DockerClient, sandbox: Sandbox, script: str) -> ScriptResult:
    with guard_of(sandbox) as guard:  # as grade_setup
        result = run_script(host, sandbox, guard_socket=guard.socket, script=script, timeout_s=120)
    result.refusals = [refusal.message for refusal in guard.refusals]
    return result


def test_a_modern_dockerfile_builds_through_the_guard(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    result = _run(host_engine, sandbox, "modern.sh")
    assert result.exit_code == 0, result.output
    assert "-rwxr-xr-x" in result.output and result.refusals == []


def test_a_syntax_line_builds_with_the_engine_s_own_dockerfile_frontend(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    """No registry to fetch `docker/dockerfile:1` from, and a frontend image built in the sandbox
    (code the guard cannot vet) is never run: the guard's `cmdline` option makes both plain builds."""
    result = _run(host_engine, sandbox, "syntax.sh")
    assert result.exit_code == 0, result.output
    assert "built offline" in result.output and "built by the Dockerfile frontend" in result.output
    assert "the own frontend ran" not in result.output and result.refusals == []


@pytest.mark.hostile
@pytest.mark.parametrize(("number", "command"), list(enumerate(REFUSALS)), ids=list(REFUSALS))
def test_each_build_refusal_as_a_student_types_it(
    host_engine: docker.DockerClient, sandbox: Sandbox, number: int, command: str
) -> None:
    result = _run(host_engine, sandbox, f"case-{number}.sh")
    refused = REFUSALS[command]
    assert result.exit_code != 0
    assert "Refused: " in result.output and refused in result.output, result.output
    assert any(refused in message for message in result.refusals), result.refusals


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_refused_build_in_setup_sh_is_in_the_students_feedback(tmp_path: Path) -> None:
    exercise = load("networks.cats-and-dogs")
    correct = Path(__file__).parents[2] / "exercises/variants/networks.cats-and-dogs/correct-net-loop"
    shutil.copytree(correct, tmp_path / "s")
    script = tmp_path / "s" / "setup.sh"
    script.write_text(script.read_text() + f"printf 'FROM busybox\\n' > Dockerfile\n{HOST_NETWORK} || true\n")
    result = grade(exercise, tmp_path / "s")
    assert result.status == "graded" and result.score == result.max_score, result.reason
    shown = feedback.exercise_markdown(result.for_student())
    assert "Refused: `--network host` on a build" in shown, shown


def test_a_secret_mount_builds_through_the_guard(host_engine: docker.DockerClient, sandbox: Sandbox) -> None:
    result = _run(host_engine, sandbox, "secret.sh")
    assert result.exit_code == 0, result.output
    digests = [
        line.split()[0] for line in result.output.splitlines() if line.endswith(("/run/secrets/token", "-"))
    ]
    assert len(digests) == 2 and digests[0] == digests[1], result.output
    assert result.refusals == []


@pytest.mark.hostile
def test_ssh_agent_forwarding_is_refused_naming_it(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    result = _run(host_engine, sandbox, "ssh.sh")
    assert result.exit_code != 0
    assert buildkit.SSH_REFUSED in result.output, result.output
    assert result.refusals == [buildkit.SSH_REFUSED]


def test_a_context_on_stdin_builds_through_the_guard(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    result = _run(host_engine, sandbox, "stdin.sh")
    assert result.exit_code == 0, result.output
    assert "-rwxr-xr-x" in result.output and result.refusals == []


@pytest.mark.hostile
def test_an_sbom_scanner_named_in_a_build_arg_never_runs(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    """BuildKit reads `BUILDKIT_ATTEST_SBOM` as `--attest type=sbom`: its generator, an image built in
    the sandbox here, would run as the build's scanner."""
    result = _run(host_engine, sandbox, "sbom.sh")
    assert result.exit_code != 0 and "own scanner ran" not in result.output, result.output
    assert any("BUILDKIT_ATTEST_SBOM" in message for message in result.refusals), result.output
