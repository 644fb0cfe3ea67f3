"""The Dockerfile's advice is read only from a plain, small Dockerfile in the submission itself."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from grader.grading import grade_image
from grader.grading.grade import grade
from grader.grading.grade_image import GivenEngine
from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import SOLUTIONS, load
from grader.sandbox.context import pack
from grader.sandbox.sandbox import Sandbox
from tests import hostile_trees


@pytest.fixture
def linted(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The Dockerfiles handed to the linter (which reads them whole)."""
    seen: list[Path] = []

    def advise(path: Path) -> list[str]:
        seen.append(path)
        return ["advice"]

    monkeypatch.setattr(grade_image, "advise", advise)
    return seen


def test_a_plain_dockerfile_is_linted(tmp_path: Path, linted: list[Path]) -> None:
    folder = hostile_trees.submission(tmp_path / "s")
    assert grade_image._advice(folder / "Dockerfile") == ["advice"]
    assert linted == [folder / "Dockerfile"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("make", ["pipe", "passwd", "zero", "sparse", "folder link"])
def test_a_dockerfile_that_is_no_plain_small_file_is_never_read(
    tmp_path: Path, linted: list[Path], make: str
) -> None:
    folder = hostile_trees.submission(tmp_path / "s")
    dockerfile = folder / "Dockerfile"
    if make == "folder link":
        (tmp_path / "link").symlink_to(folder)
        dockerfile = tmp_path / "link" / "Dockerfile"
    else:
        dockerfile.unlink()
    if make == "pipe":
        os.mkfifo(dockerfile)
    elif make in ("passwd", "zero"):
        dockerfile.symlink_to("/etc/passwd" if make == "passwd" else "/dev/zero")
    elif make == "sparse":
        with dockerfile.open("wb") as handle:
            handle.truncate(hostile_trees.SPARSE_BYTES)
    assert grade_image._advice(dockerfile) == []
    assert linted == []


# -- an engine already up (a notebook's sandbox, scored on the host) ------------------------------

VARIANTS = Path(__file__).parents[1] / "exercises" / "variants"


@pytest.fixture(scope="module")
def notebook_sandbox(
    host_engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """A sandbox like a notebook's: up, holding a folder, the course's busybox loaded."""
    folder = tmp_path_factory.mktemp("notebook")
    (folder / "notebook.ipynb").write_text("{}")
    packed = pack(folder, limit_bytes=1 << 20, required="notebook.ipynb")
    with Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), submission=packed.tar
    ) as up:
        up.load_images(["busybox:latest"])
        yield up


@pytest.mark.docker
@pytest.mark.parametrize(
    ("exercise", "folder", "fails"),
    [
        ("dockerfiles.secret", SOLUTIONS / "dockerfiles.secret", set()),
        (
            "dockerfiles.secret",
            VARIANTS / "dockerfiles.secret/secret-copied-into-layer",
            {"secret_not_in_layers"},
        ),
        ("dockerfiles.hello", VARIANTS / "dockerfiles.hello/correct-run-heredoc", set()),
        ("dockerfiles.hello", VARIANTS / "dockerfiles.hello/correct-syntax-directive", set()),
    ],
    ids=["secret", "secret-leaked", "heredoc", "syntax-directive"],
)
def test_a_given_sandbox_builds_with_buildkit_and_grades_as_its_own_would(
    host_engine: docker.DockerClient, notebook_sandbox: Sandbox, exercise: str, folder: Path, fails: set[str]
) -> None:
    up = notebook_sandbox
    assert up.client is not None
    on = GivenEngine(up.client, up.load_images(["busybox:latest"]), up)
    result = grade(load(exercise), folder, host=host_engine, on=on)
    assert result.status == "graded", result.reason
    assert {check.name for check in result.checks if not check.passed} == fails, result.checks
    assert result.log.startswith("#0 building with"), result.log[:200]
    assert up.client.ping()


@pytest.mark.docker
def test_a_given_engine_without_its_sandbox_builds_through_the_api(
    host_engine: docker.DockerClient, notebook_sandbox: Sandbox
) -> None:
    assert notebook_sandbox.client is not None
    on = GivenEngine(notebook_sandbox.client, notebook_sandbox.load_images(["busybox:latest"]))
    result = grade(load("dockerfiles.hello"), SOLUTIONS / "dockerfiles.hello", host=host_engine, on=on)
    assert result.status == "graded" and result.score == result.max_score, result.checks
    assert "Step 1/" in result.log, result.log[:200]
