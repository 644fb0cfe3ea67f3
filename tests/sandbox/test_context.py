"""Packing a submission as a build context: bounded, confined, stable."""

import io
import os
import tarfile
from pathlib import Path

import pytest

from grader.sandbox import walk
from grader.sandbox.context import ContextRefused, pack
from tests import hostile_trees

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
    with pytest.raises(ContextRefused, match=r"at least 2048 MB of files, over the limit of 200 MB"):
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


# -- hostile submissions: nothing opened that is not a regular file inside -------


@pytest.mark.timeout(60)
def test_special_files_and_links_out_are_left_out_and_said(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    for make in ("fifo", "loop", "dev_zero", "passwd"):
        hostile_trees.MAKERS[make](folder)
    hostile_trees.unix_socket(folder)
    context = pack(folder, limit_bytes=MB)
    members = _names(context.tar)
    assert set(members) == {"Dockerfile", "here", "site", "site/index.html"}
    assert members["here"].issym() and members["here"].linkname == "."
    assert {entry.relative: entry.note for entry in context.left_out} == {
        "a": "a symbolic link that leads nowhere (or in a loop)",
        "b": "a symbolic link that leads nowhere (or in a loop)",
        "passwd": walk.NOT_FOLLOWED,
        "pipe": "a named pipe (FIFO)",
        "sock": "a socket",
        "zero": walk.NOT_FOLLOWED,
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make", sorted(hostile_trees.REFUSED))
def test_past_the_bounds_is_refused_before_anything_is_read(tmp_path: Path, make: str) -> None:
    folder = _submission(tmp_path)
    hostile_trees.MAKERS[make](folder)
    try:
        with pytest.raises(ContextRefused, match=hostile_trees.REFUSED[make]):
            pack(folder, limit_bytes=200 * MB)
    finally:
        hostile_trees.unnest(folder)


@pytest.mark.parametrize(
    ("target", "says"),
    [("/etc/passwd", "a symbolic link leading outside"), ("/dev/zero", "a symbolic link leading outside")],
)
def test_a_dockerfile_that_leads_outside_is_refused(tmp_path: Path, target: str, says: str) -> None:
    folder = _submission(tmp_path)
    (folder / "Dockerfile").unlink()
    (folder / "Dockerfile").symlink_to(target)
    with pytest.raises(ContextRefused, match=f"Your Dockerfile is {says}"):
        pack(folder, limit_bytes=MB)


def test_a_dockerfile_pipe_is_refused_not_opened(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    (folder / "Dockerfile").unlink()
    os.mkfifo(folder / "Dockerfile")
    with pytest.raises(ContextRefused, match="Your Dockerfile is a named pipe"):
        pack(folder, limit_bytes=MB)


def test_files_are_packed_as_listed_never_past_their_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _submission(tmp_path)
    listed = walk.walk(folder)
    (folder / "site" / "index.html").write_text("<h1>hi</h1> and much more, written after the walk")
    monkeypatch.setattr(walk, "walk", lambda *args, **kwargs: listed)
    member = _names(pack(folder, limit_bytes=MB).tar)["site/index.html"]
    assert member.size == len("<h1>hi</h1>")


def test_hard_links_are_packed_once(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    os.link(folder / "site" / "index.html", folder / "same.html")
    with tarfile.open(fileobj=io.BytesIO(pack(folder, limit_bytes=MB).tar)) as tar:
        assert tar.getmember("same.html").isreg() and tar.getmember("site/index.html").islnk()
        for name in ("same.html", "site/index.html"):
            extracted = tar.extractfile(name)
            assert extracted is not None and extracted.read() == b"<h1>hi</h1>"
