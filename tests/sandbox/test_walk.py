"""Walking a hostile submission: iterative, bounded, never opening what is not a regular file."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import walk
from tests import hostile_trees
from tests.hostile_trees import MAKERS, REFUSED, submission

pytestmark = pytest.mark.timeout(60)  # a walk that opened a pipe would hang: fail instead


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    folder = submission(tmp_path / "s")
    yield folder
    hostile_trees.unnest(folder)


def test_lists_files_folders_and_links_in_order_without_ignored_folders(folder: Path) -> None:
    (folder / "site").mkdir()
    (folder / "site" / "index.html").write_text("<h1>hi</h1>")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]")
    os.symlink("site/index.html", folder / "index.html")
    tree = walk.walk(folder)
    assert [(e.relative, e.kind) for e in tree.entries] == [
        ("Dockerfile", "file"),
        ("index.html", "link"),
        ("site", "dir"),
        ("site/index.html", "file"),
    ]
    assert tree.get("index.html") == walk.Entry(
        "index.html", folder / "index.html", "link", target="site/index.html"
    )
    assert tree.size == len("FROM busybox\n") + len("<h1>hi</h1>")
    assert tree.left_out == []


@pytest.mark.parametrize(
    ("make", "name", "note"),
    [
        ("fifo", "pipe", "a named pipe (FIFO)"),
        ("dev_zero", "zero", walk.NOT_FOLLOWED),
        ("passwd", "passwd", walk.NOT_FOLLOWED),
        ("loop", "a", "a symbolic link that leads nowhere (or in a loop)"),
    ],
)
def test_special_files_and_links_out_are_marked_never_opened(
    folder: Path, make: str, name: str, note: str
) -> None:
    MAKERS[make](folder)
    entry = walk.walk(folder).get(name)
    assert entry is not None and entry.note == note and not entry.kept


def test_a_socket_is_marked(folder: Path) -> None:
    hostile_trees.unix_socket(folder)
    entry = walk.walk(folder).get("sock")
    assert entry is not None and entry.note == "a socket"


def test_a_link_to_the_folder_itself_stays_inside(folder: Path) -> None:
    hostile_trees.loop(folder)
    (folder / "whole").symlink_to(folder)
    tree = walk.walk(folder)
    assert [tree.get(name).kept for name in ("here", "whole")] == [True, True]  # type: ignore[union-attr]


def test_a_link_out_through_a_link_in_is_out(folder: Path, tmp_path: Path) -> None:
    (folder / "out").symlink_to(tmp_path)
    (folder / "through").symlink_to("out/s/../secret")
    tree = walk.walk(folder)
    assert not tree.get("through").kept  # type: ignore[union-attr]


@pytest.mark.parametrize("make", sorted(REFUSED))
def test_past_the_bounds_refused_at_once_with_what_to_do(folder: Path, make: str) -> None:
    MAKERS[make](folder)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(walk.Refused, match=REFUSED[make]):
            walk.walk(folder)
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert took < 10
    assert peak < 20 * 1024 * 1024


def test_the_messages_say_what_is_wrong_and_what_to_do(folder: Path) -> None:
    hostile_trees.many(folder)
    with pytest.raises(walk.Refused) as many:
        walk.walk(folder)
    assert "Your folder holds more than 10,000 files and folders" in str(many.value)
    assert "of them in `node_modules`" in str(many.value)
    assert "remove build outputs and dependencies (such as node_modules" in str(many.value)


def test_the_bounds_are_exactly_the_bounds(folder: Path) -> None:
    os.makedirs(folder / "/".join(["d"] * (walk.MAX_DEPTH - 1)))
    (folder / "/".join(["d"] * (walk.MAX_DEPTH - 1)) / "last").write_text("x")
    assert walk.walk(folder).get("/".join(["d"] * (walk.MAX_DEPTH - 1)) + "/last") is not None
    (folder / "/".join(["d"] * (walk.MAX_DEPTH - 1)) / "last").unlink()
    (folder / "/".join(["d"] * walk.MAX_DEPTH)).mkdir()
    (folder / "/".join(["d"] * walk.MAX_DEPTH) / "past").write_text("x")
    with pytest.raises(walk.Refused, match="more than 32 deep"):
        walk.walk(folder)


def test_entries_bound_counts_everything(folder: Path) -> None:
    for number in range(3):
        (folder / f"{number}.txt").touch()
    assert len(walk.walk(folder, walk.Bounds(entries=4)).entries) == 4
    with pytest.raises(walk.Refused, match="more than 3 files and folders;"):
        walk.walk(folder, walk.Bounds(entries=3))


def test_a_folder_that_cannot_be_read_is_marked_and_the_rest_walked(folder: Path) -> None:
    (folder / "locked").mkdir()
    (folder / "locked" / "x").touch()
    os.chmod(folder / "locked", 0)
    try:
        if os.access(folder / "locked", os.R_OK):
            pytest.skip("running as a user that reads any folder")
        tree = walk.walk(folder)
    finally:
        os.chmod(folder / "locked", 0o755)
    assert tree.get("locked").note == walk.UNREADABLE  # type: ignore[union-attr]
    assert tree.get("Dockerfile") is not None


@pytest.mark.parametrize("make", ["link", "file", "missing"])
def test_the_folder_itself_must_be_a_folder(tmp_path: Path, make: str) -> None:
    submission(tmp_path / "real")
    if make == "link":
        (tmp_path / "s").symlink_to(tmp_path / "real")
    elif make == "file":
        (tmp_path / "s").write_text("x")
    with pytest.raises(walk.Refused, match=r"symbolic link|not a folder|could not be read"):
        walk.walk(tmp_path / "s")


def test_open_regular_refuses_pipes_and_links_without_blocking(folder: Path) -> None:
    hostile_trees.fifo(folder)
    hostile_trees.passwd(folder)
    for name in ("pipe", "passwd"):
        with pytest.raises(OSError):
            walk.open_regular(folder / name)
    with walk.open_regular(folder / "Dockerfile") as handle:
        assert b"".join(walk.chunks(handle, 4)) == b"FROM"


def test_chunks_never_read_past_the_size() -> None:
    source = io.BytesIO(b"x" * (3 * walk.CHUNK_BYTES))
    assert sum(len(c) for c in walk.chunks(source, walk.CHUNK_BYTES + 5)) == walk.CHUNK_BYTES + 5
    assert source.tell() == walk.CHUNK_BYTES + 5


def test_regular_file_only_for_a_small_plain_file(folder: Path) -> None:
    hostile_trees.dev_zero(folder)
    hostile_trees.fifo(folder)
    hostile_trees.sparse(folder)
    assert walk.regular_file(folder / "Dockerfile")
    assert not any(walk.regular_file(folder / name) for name in ("zero", "pipe", "disk.img", "gone"))


def test_names_are_shown_safely() -> None:
    assert walk.shown("a`b\nc") == "`a?b?c`"
    assert walk.shown(os.fsdecode(b"\xff.txt")) == "`\\udcff.txt`"
    assert walk.shown("x" * 100).endswith("...`")


def test_left_out_words_name_a_few_and_count_the_rest(folder: Path) -> None:
    entries = [walk.Entry(f"p{n}", folder, "special", note="a named pipe (FIFO)") for n in range(7)]
    words = walk.left_out_words(entries)
    assert words.startswith("Left out of grading, never read: `p0` (a named pipe (FIFO)), `p1`")
    assert "and 2 more" in words
