"""The host's copy of a notebook's folder: folders and regular files only, nothing outside it.

The tars here are the shapes a hostile kernel can make the engine write: it keeps running while
the engine walks the folder and can swap a folder for a link under the walk (a hostile review
showed it with a real sandbox), so a tar may hold paths through links it made.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.course import notebook_sandbox
from grader.course.notebook_score import folder_copy


class _Engine:
    """A container whose archive of /submission is the tar given: just enough for `folder_copy`."""

    def __init__(self, tar: bytes) -> None:
        self.tar = tar

    def get_archive(self, path: str) -> tuple[Iterator[bytes], dict[str, str]]:
        return iter([self.tar]), {}


def _tar(*entries: tuple[str, bytes, str, bytes]) -> bytes:
    """A tar of `(name, type, link, data)` entries under submission/, in that order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link, data in entries:
            info = tarfile.TarInfo(f"submission/{name}".rstrip("/"))
            info.type, info.linkname, info.size = kind, link, len(data)
            info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _everything(root: Path) -> list[Path]:
    return [Path(folder) / name for folder, folders, files in os.walk(root) for name in folders + files]


DIR, FILE, LINK, HARD = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE


def test_folders_and_regular_files_are_copied(tmp_path: Path) -> None:
    tar = _tar(("", DIR, "", b""), ("web", DIR, "", b""), ("web/Dockerfile", FILE, "", b"FROM busybox\n"))
    with folder_copy(_Engine(tar), "/submission") as copy:  # type: ignore[arg-type]
        assert (copy / "web" / "Dockerfile").read_text() == "FROM busybox\n"


def test_a_file_through_a_link_lands_nowhere_outside_the_copy(tmp_path: Path) -> None:
    """What the raced walk writes: a link, then a file "under" it, aimed at a folder of the host."""
    target = tmp_path / "cron.d"
    target.mkdir()
    tar = _tar(
        ("", DIR, "", b""),
        ("y00", LINK, str(target), b""),
        ("y00/pwned", FILE, "", b"* * * * * root id > /tmp/owned\n"),
        ("up", LINK, "../../../../../../../../" + str(target).lstrip("/"), b""),
        ("up/pwned2", FILE, "", b"x"),
        ("../escaped", FILE, "", b"x"),
    )
    with folder_copy(_Engine(tar), "/submission") as copy:  # type: ignore[arg-type]
        made = _everything(copy)
        assert not any(path.is_symlink() for path in made)
    assert list(target.iterdir()) == []
    assert not (tmp_path / "escaped").exists()


def test_no_link_of_the_copy_leads_to_a_file_of_the_host(tmp_path: Path) -> None:
    """A link named like the check cell's file, its path made good by a later link (zz -> .)."""
    secret = tmp_path / "secret"
    secret.write_text("the host's")
    steps = "zz/" * 6 + "../" * 6
    tar = _tar(
        ("", DIR, "", b""),
        ("registries-busybox.tar", LINK, steps + str(secret).lstrip("/"), b""),
        ("hard.tar", HARD, str(secret), b""),
        ("zz", LINK, ".", b""),
    )
    with folder_copy(_Engine(tar), "/submission") as copy:  # type: ignore[arg-type]
        assert _everything(copy) == []


@pytest.mark.parametrize("said", ["²", "①", "12a", "", "1" * 10, "-1"])
def test_a_reached_line_that_is_no_plain_number_is_ignored(said: str) -> None:
    class Kernel:
        def logs(self, **_: object) -> bytes:
            return f"{notebook_sandbox.REACHED}{said}\n".encode()

    assert notebook_sandbox._reached(Kernel()) is None  # type: ignore[arg-type]


def test_a_reached_line_names_the_cell() -> None:
    class Kernel:
        def logs(self, **_: object) -> bytes:
            return f"noise\n{notebook_sandbox.REACHED}7\n".encode()

    assert notebook_sandbox._reached(Kernel()) == 7  # type: ignore[arg-type]


def test_a_link_past_path_max_leads_no_file_outside_the_copy(tmp_path: Path) -> None:
    """The hostile review's sequence: links whose real path passes PATH_MAX fool the data filter's
    realpath (CVE-2025-4517 on Pythons before 3.11.13), so only making no link at all holds."""
    target = tmp_path / "cron.d"
    target.mkdir()
    deep, name, last, count = "d" * 200, "e" * 250, "l" * 250, 18
    entries = [("", DIR, "", b""), ("a", LINK, deep, b""), (deep, DIR, "", b"")]
    path = deep
    for _ in range(2, count + 1):
        entries.append((f"{path}/s", LINK, deep, b""))
        path += f"/{deep}"
        entries.append((path, DIR, "", b""))
    entries.append((f"{path}/{name}", DIR, "", b""))
    chain = "a" + "/s" * (count - 1)
    entries += [
        ("x00", LINK, chain, b""),
        (f"x00/{name}", DIR, "", b""),
        (f"x00/{name}/{last}", LINK, "../" * (count + 1), b""),
        ("y00", LINK, f"{chain}/{name}/{last}/" + "../" * (count + 2) + str(target).lstrip("/"), b""),
        ("y00/pwned", FILE, "", b"* * * * * root id > /tmp/owned\n"),
    ]
    with folder_copy(_Engine(_tar(*entries)), "/submission") as copy:  # type: ignore[arg-type]
        assert not any(path.is_symlink() for path in _everything(copy))
    assert list(target.iterdir()) == []


def test_the_kernel_is_frozen_while_the_host_scores_a_cell() -> None:
    """Nothing the student left running in the kernel moves while its folder is copied and checked."""
    events: list[str] = []

    class Kernel:
        def logs(self, **_: object) -> bytes:
            return f"{notebook_sandbox.REACHED}3\n".encode()

        def pause(self) -> None:
            events.append("pause")

        def unpause(self) -> None:
            events.append("unpause")

        def wait(self, timeout: float) -> dict[str, int]:
            return {"StatusCode": 0}

    class Engine:
        def put_archive(self, path: str, data: bytes) -> None:
            events.append("go")

    notebook_sandbox._serve(
        Kernel(),  # type: ignore[arg-type]
        Engine(),  # type: ignore[arg-type]
        10,
        {3},
        lambda index: events.append(f"score {index}"),
        owner=0,
    )
    assert events == ["pause", "score 3", "unpause", "go"]
