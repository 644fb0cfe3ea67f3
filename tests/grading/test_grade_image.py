"""The Dockerfile's advice is read only from a plain, small Dockerfile in the submission itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.grading import grade_image
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
