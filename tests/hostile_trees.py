"""Hostile submission folders, for the tests of everything that walks a submission.

Each maker adds one hostile thing to a folder that already holds a Dockerfile.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

DEEP = 1_000
MANY = 20_000
SPARSE_BYTES = 100 * 1024**3  # 100 GB, of which nothing is on disk


def submission(folder: Path, dockerfile: str = "FROM busybox\n") -> Path:
    """A plain submission: a Dockerfile in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


def fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe")


def unix_socket(folder: Path) -> None:
    """A socket, bound by a relative name (a socket's path is short: tmp paths may be too long)."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind("sock")
    finally:
        os.chdir(here)


def deep(folder: Path) -> None:
    """Folders 1,000 deep, made one at a time (os.makedirs recurses)."""
    path = folder
    for _ in range(DEEP):
        path = path / "d"
        path.mkdir()
    (path / "bottom.txt").write_text("deep down\n")


def sparse(folder: Path) -> None:
    """A 100 GB sparse file; skips the test where tmp cannot hold one."""
    path = folder / "disk.img"
    with path.open("wb") as handle:
        handle.truncate(SPARSE_BYTES)
    if path.stat().st_blocks * 512 > 1024 * 1024:
        path.unlink()
        pytest.skip("this tmp does not hold sparse files")


def many(folder: Path) -> None:
    (folder / "node_modules").mkdir()
    for number in range(MANY):
        (folder / "node_modules" / f"{number}.js").touch()


def loop(folder: Path) -> None:
    os.symlink("b", folder / "a")
    os.symlink("a", folder / "b")
    os.symlink(".", folder / "here")


def dev_zero(folder: Path) -> None:
    os.symlink("/dev/zero", folder / "zero")


def passwd(folder: Path) -> None:
    os.symlink("/etc/passwd", folder / "passwd")


MAKERS: dict[str, Callable[[Path], None]] = {
    "fifo": fifo,
    "deep": deep,
    "sparse": sparse,
    "many": many,
    "loop": loop,
    "dev_zero": dev_zero,
    "passwd": passwd,
}
REFUSED = {
    "deep": "nests folders more than 32 deep",
    "sparse": "over the limit of",
    "many": "more than 10,000",
}


def unnest(top: Path) -> None:
    """Remove a chain of `d` folders below `top` without recursion (rmtree may recurse too deep)."""
    bottom = top
    while (bottom / "d").is_dir() and not (bottom / "d").is_symlink():
        bottom = bottom / "d"
    if bottom == top:
        return
    for path in bottom.iterdir():
        path.unlink()
    while bottom != top:
        bottom.rmdir()
        bottom = bottom.parent
