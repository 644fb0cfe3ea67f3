"""The build context: a submission folder packed as a tar, bounded and confined.

The engine only ever sees this tar, never the submission's path, so a build can
read nothing the grader did not put in. Symlinks that lead outside the
submission are left out (and said so); the total size is checked from the
files' sizes before anything is read, so a 2 GB sparse file is refused at once.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

IGNORED_DIRS = {".git", "__pycache__", ".ipynb_checkpoints"}


class ContextRefused(ValueError):
    """The submission cannot be sent to the engine as it is."""


@dataclass
class Context:
    """A packed build context and what was left out of it."""

    tar: bytes
    size: int
    skipped: list[str] = field(default_factory=list)


def pack(folder: Path, *, limit_bytes: int, required: str = "Dockerfile") -> Context:
    """Pack `folder` (which must hold `required`) as a tar of at most `limit_bytes` bytes of files."""
    root = folder.resolve()
    if not (root / required).is_file():
        raise ContextRefused(f"There is no {required} in the submission's top folder.")
    entries, skipped = _entries(root)
    size = sum(path.lstat().st_size for path in entries if path.is_file() and not path.is_symlink())
    if size > limit_bytes:
        raise ContextRefused(
            f"The submission folder holds {_mb(size)} of files, over the limit of {_mb(limit_bytes)}. "
            "Leave large files (data, build outputs, disk images) out of the submission folder."
        )
    return Context(tar=_tar(root, entries), size=size, skipped=skipped)


def _entries(root: Path) -> tuple[list[Path], list[str]]:
    """Every path to pack, in a stable order, and the symlinks left out."""
    entries: list[Path] = []
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        current = Path(dirpath)
        for name in [*dirnames, *sorted(filenames)]:
            path = current / name
            if path.is_symlink() and not _inside(path, root):
                skipped.append(str(path.relative_to(root)))
                continue
            entries.append(path)
    return entries, skipped


def _inside(link: Path, root: Path) -> bool:
    """Whether a symlink's target stays within `root`."""
    target = Path(os.path.realpath(link))
    return target == root or root in target.parents


def _tar(root: Path, entries: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in entries:
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False, filter=_owned_by_root)
    return buffer.getvalue()


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"
