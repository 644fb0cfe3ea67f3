"""Packing a submission as a build context: bounded, confined, stable."""

import io
import os
import tarfile
from pathlib import Path

import pytest

from grader.context import ContextRefused, pack

MB = 1024 * 1024


def _names(tar_bytes: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {member.name: member for member in tar.getmembers()}


def _submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    (folder / "site").mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM busybox\n")
    (folder / "site" / "index.html").write_text("<h1>hi</h1>")
    return folder


def test_packs_every_file_owned_by_root(tmp_path: Path) -> None:
    context = pack(_submission(tmp_path), limit_bytes=MB)
    members = _names(context.tar)
    assert set(members) == {"Dockerfile", "site", "site/index.html"}
    assert {member.uid for member in members.values()} == {0}


def test_refuses_a_folder_without_dockerfile(tmp_path: Path) -> None:
    with pytest.raises(ContextRefused, match="no Dockerfile"):
        pack(tmp_path, limit_bytes=MB)


def test_refuses_a_sparse_file_over_the_limit_before_reading_it(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    with (folder / "disk.img").open("wb") as handle:
        handle.truncate(2 * 1024 * MB)  # 2 GB, sparse: takes no disk
    with pytest.raises(ContextRefused, match=r"2048 MB of files, over the limit of 200 MB"):
        pack(folder, limit_bytes=200 * MB)


def test_leaves_out_symlinks_that_lead_outside(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    (tmp_path / "secret.txt").write_text("instructor's secret")
    os.symlink(tmp_path / "secret.txt", folder / "secret")
    os.symlink("/etc", folder / "etc")
    os.symlink("site/index.html", folder / "index.html")
    context = pack(folder, limit_bytes=MB)
    members = _names(context.tar)
    assert sorted(context.skipped) == ["etc", "secret"]
    assert "secret" not in members and "etc" not in members
    assert members["index.html"].issym() and members["index.html"].linkname == "site/index.html"


def test_leaves_out_version_control_folders(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]")
    assert not any(name.startswith(".git") for name in _names(pack(folder, limit_bytes=MB).tar))
