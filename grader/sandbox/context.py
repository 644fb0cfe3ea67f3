"""The build context: a submission folder packed as a tar, bounded and confined.

The engine only ever sees this tar, never the submission's path, so a build can
read nothing the grader did not put in. The folder is listed by `walk` (bounded
in depth, entries and bytes, from the files' sizes before anything is read, so
a 2 GB sparse file is refused at once); symbolic links that lead outside the
submission and special files (pipes, sockets, devices) are left out, never
read, and said so. Files are read in chunks, never past the size listed.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import SubmissionError
from grader.sandbox import walk


class ContextRefused(SubmissionError, ValueError):
    """The submission cannot be sent to the engine as it is."""


@dataclass
class Context:
    """A packed build context and what was left out of it (each with why)."""

    tar: bytes
    size: int
    left_out: list[walk.Entry] = field(default_factory=list)

    @property
    def skipped(self) -> list[str]:
        """The paths left out."""
        return [entry.relative for entry in self.left_out]


def pack(folder: Path, *, limit_bytes: int, required: str = "Dockerfile") -> Context:
    """Pack `folder` (which must hold `required`) as a tar of at most `limit_bytes` bytes of files."""
    try:
        tree = walk.walk(folder, walk.Bounds(bytes=limit_bytes))
    except walk.Refused as refused:
        raise ContextRefused(str(refused)) from None
    _check_required(tree, required)
    try:
        tar = _tar(tree)
    except OSError as changed:
        raise ContextRefused(
            f"A file of the submission could not be read while it was packed ({changed.strerror}); "
            "grade it again once the folder no longer changes."
        ) from None
    return Context(tar=tar, size=tree.size, left_out=tree.left_out)


def _check_required(tree: walk.Tree, required: str) -> None:
    entry = tree.get(required)
    if entry is None or entry.kind == "dir":
        raise ContextRefused(f"There is no {required} in the submission's top folder.")
    if not entry.kept:
        raise ContextRefused(
            f"Your {required} is {entry.note}, so it was not read: make it a regular file in your folder."
        )


def _tar(tree: walk.Tree) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for entry in tree.entries:
            if entry.kept:
                _add(tar, entry)
    return buffer.getvalue()


def _add(tar: tarfile.TarFile, entry: walk.Entry) -> None:
    """One entry, as listed: a folder, a link (not followed) or at most `entry.size` bytes of a file."""
    info = tar.gettarinfo(entry.path, arcname=entry.relative)  # lstat: nothing is opened
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if entry.kind != "file":
        if not (info.isdir() if entry.kind == "dir" else info.issym()):
            raise OSError(0, "it changed", entry.relative)
        tar.addfile(info)
        return
    if info.islnk():  # a hard link to a file packed already: no data of its own
        tar.addfile(info)
        return
    info.size = entry.size
    with walk.open_regular(entry.path) as handle:
        tar.addfile(info, handle)  # reads exactly info.size bytes
