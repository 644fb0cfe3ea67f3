"""Walking a submission folder: iterative, bounded, never reading what it must not.

Submissions are hostile. Every walk of one (its digest for resuming, its build
context) goes through `walk`, which lists a folder without opening any file:

- it is iterative (no recursion), and refuses a folder nested deeper than
  MAX_DEPTH, holding more than MAX_ENTRIES files and folders, or more than
  MAX_BYTES of files (counted from their sizes, so a sparse 100 GB file is
  refused before a byte of it is read), with a message for the student;
- symbolic links are listed, never followed; one whose target is outside the
  folder (/etc/shadow, /dev/zero) is marked, and is never read or packed;
- special files (named pipes, sockets, devices) are marked, never opened;
- a folder that cannot be read is marked, and its contents left out.

Files are then read, when they are, by `open_regular` and `chunks`: only
regular files, never through a link, in chunks, and no more than the size the
walk counted.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Literal

from grader.errors import SubmissionError
from grader.model.exercise import Limits

MAX_DEPTH = 32  # folders within folders
MAX_ENTRIES = 10_000  # files, folders and links
MAX_BYTES = Limits().context_bytes  # of files: the build context's bound
MAX_DOCKERFILE_BYTES = 1024 * 1024  # a Dockerfile read whole (for advice)
CHUNK_BYTES = 1024 * 1024
IGNORED_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints"})  # never graded, never walked

Kind = Literal["file", "dir", "link", "special"]
NOT_FOLLOWED = "a symbolic link leading outside your folder"
UNREADABLE = "a folder that could not be read"


class Refused(SubmissionError, ValueError):
    """The submission cannot be graded as it is; the message tells the student why and what to do."""


@dataclass(frozen=True)
class Bounds:
    """How deep, how many entries and how many bytes of files one walk accepts."""

    depth: int = MAX_DEPTH
    entries: int = MAX_ENTRIES
    bytes: int = MAX_BYTES


@dataclass(frozen=True)
class Entry:
    """One thing in a submission, as `lstat` saw it; `note` says why it is left out, if it is."""

    relative: str  # POSIX path from the submission's folder
    path: Path
    kind: Kind
    size: int = 0  # bytes, for a regular file
    target: str = ""  # where a symbolic link points
    note: str = ""

    @property
    def kept(self) -> bool:
        """Whether it is graded: a folder, a regular file or a link that stays inside."""
        return not self.note or self.note == UNREADABLE


@dataclass
class Tree:
    """What a submission folder holds, in a stable order."""

    root: Path
    entries: list[Entry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries if entry.kind == "file")

    @property
    def left_out(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.note]

    def get(self, relative: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.relative == relative), None)


def walk(folder: Path, bounds: Bounds = Bounds()) -> Tree:
    """List `folder` without reading any file; raise Refused past `bounds` or if it is no folder."""
    root = Path(os.path.abspath(folder))
    inside = _checked_root(root)
    tree = Tree(root)
    walker = _Walker(bounds, inside)
    stack: list[tuple[int, int]] = [(-1, 0)]  # a folder to list: its index in tree.entries, its depth
    while stack:
        index, depth = stack.pop()
        listed = tree.entries[index] if index >= 0 else Entry("", root, "dir")
        try:
            found = walker.scan(listed, depth)
        except OSError:
            if index < 0:
                raise Refused("Your folder could not be read: check its permissions.") from None
            tree.entries[index] = replace(listed, note=UNREADABLE)
            continue
        for entry in found:
            tree.entries.append(entry)
            if entry.kind == "dir":
                stack.append((len(tree.entries) - 1, depth + 1))
    tree.entries.sort(key=lambda entry: entry.relative)
    return tree


def _checked_root(root: Path) -> Path:
    """Where the submission's folder really is; Refused if it is no folder or is a link."""
    try:
        mode = os.lstat(root).st_mode
        inside = resolved(root)
    except OSError as error:
        raise Refused(f"Your folder {shown(root.name)} could not be read ({error.strerror}).") from None
    if stat.S_ISLNK(mode):
        raise Refused(
            f"Your folder {shown(root.name)} is a symbolic link, which the grader does not follow: "
            "submit the folder itself."
        )
    if not stat.S_ISDIR(mode):
        raise Refused(f"{shown(root.name)} is not a folder: submit a folder.")
    return inside


class _Walker:
    """The counts of one walk, checked against its bounds as entries are met."""

    def __init__(self, bounds: Bounds, inside: Path) -> None:
        self.bounds = bounds
        self.inside = inside
        self.count = 0
        self.bytes = 0
        self.largest: tuple[int, str] = (0, "")
        self.tops: Counter[str] = Counter()

    def scan(self, folder: Entry, depth: int) -> list[Entry]:
        """The entries of one folder, each checked against the bounds as it is met."""
        prefix = f"{folder.relative}/" if folder.relative else ""
        with os.scandir(folder.path) as listing:
            return [
                entry
                for item in listing
                if (entry := self._entry(item, prefix + item.name, depth + 1)) is not None
            ]

    def _entry(self, item: os.DirEntry[str], relative: str, depth: int) -> Entry | None:
        path = Path(item.path)
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            self._count(relative, depth)
            return Entry(relative, path, "special", note="a file that could not be read")
        if stat.S_ISDIR(info.st_mode) and item.name in IGNORED_DIRS:
            return None
        self._count(relative, depth)
        if stat.S_ISDIR(info.st_mode):
            return Entry(relative, path, "dir")
        if stat.S_ISREG(info.st_mode):
            self._add_bytes(relative, info.st_size)
            return Entry(relative, path, "file", size=info.st_size)
        if stat.S_ISLNK(info.st_mode):
            return _link(relative, path, self.inside)
        return Entry(relative, path, "special", note=_special(info.st_mode))

    def _count(self, relative: str, depth: int) -> None:
        self.count += 1
        self.tops[relative.split("/", 1)[0]] += 1
        if depth > self.bounds.depth:
            raise Refused(
                f"Your folder nests folders more than {self.bounds.depth} deep (as in "
                f"{shown(relative)}); at most {self.bounds.depth} levels are graded: "
                "keep your files in a few folders, and leave generated folders out."
            )
        if self.count > self.bounds.entries:
            top, many = self.tops.most_common(1)[0]
            where = f" ({many:,} of them in {shown(top)})" if many > 1 else ""
            raise Refused(
                f"Your folder holds more than {self.bounds.entries:,} files and folders{where}; at most "
                f"{self.bounds.entries:,} are graded: remove build outputs and dependencies "
                "(such as node_modules, .venv, target) and submit again."
            )

    def _add_bytes(self, relative: str, size: int) -> None:
        self.bytes += size
        self.largest = max(self.largest, (size, relative))
        if self.bytes > self.bounds.bytes:
            size, name = self.largest
            raise Refused(
                f"Your folder holds at least {megabytes(self.bytes)} of files, over the limit of "
                f"{megabytes(self.bounds.bytes)} (the largest: {shown(name)}, {megabytes(size)}). "
                "Leave large files (data, build outputs, disk images) out of the submission folder."
            )


def _link(relative: str, path: Path, inside: Path) -> Entry:
    """A symbolic link, kept if its final target is within `inside` (where the kernel resolves it:
    at most 40 links deep, never opening what it reaches), left out otherwise."""
    try:
        target = os.readlink(path)
        final = resolved(path)
    except OSError:
        return Entry(relative, path, "link", note="a symbolic link that leads nowhere (or in a loop)")
    kept = final == inside or inside in final.parents
    return Entry(relative, path, "link", target=target, note="" if kept else NOT_FOLLOWED)


def resolved(path: Path) -> Path:
    """Where `path` leads, as the kernel resolves it (40 links at most, no recursion here); OSError
    for a dangling link or a loop."""
    if not hasattr(os, "O_PATH"):
        return Path(os.path.realpath(path, strict=True))
    descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)  # resolves, opens nothing: no pipe blocks
    try:
        return Path(os.readlink(f"/proc/self/fd/{descriptor}"))
    finally:
        os.close(descriptor)


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


def left_out_words(entries: list[Entry], shown_at_most: int = 5) -> str:
    """One sentence for the student and the instructor: what was left out of grading, and why."""
    names = ", ".join(f"{shown(entry.relative)} ({entry.note})" for entry in entries[:shown_at_most])
    more = f" and {len(entries) - shown_at_most} more" if len(entries) > shown_at_most else ""
    return (
        f"Left out of grading, never read: {names}{more}. "
        "Submit regular files and folders only; a link must point inside your folder."
    )


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, if it is a regular file: never through a link, never blocking on a
    pipe; OSError otherwise."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def chunks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """At most `size` bytes of `handle`, a chunk at a time."""
    left = size
    while left > 0:
        chunk = handle.read(min(CHUNK_BYTES, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def regular_file(path: Path, max_bytes: int = MAX_DOCKERFILE_BYTES) -> bool:
    """Whether `path` is a regular file (not a link) of at most `max_bytes`: safe to read whole."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= max_bytes


def shown(name: str, at_most: int = 80) -> str:
    """A name from a submission, safe to show: printable, cut short, in backticks."""
    text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() and c != "`" else "?" for c in text)
    return f"`{text[:at_most]}{'...' if len(text) > at_most else ''}`"


def megabytes(size: int) -> str:
    """A size in words: MB, or GB from 10 GB on."""
    if size >= 10 * 1024**3:
        return f"{size / 1024**3:.0f} GB"
    return f"{size / 1024 / 1024:.0f} MB"
