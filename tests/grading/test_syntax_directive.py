"""The `# syntax=` directive is blanked in the packed context, line numbers kept, and the student told."""

from __future__ import annotations

import io
import tarfile

import pytest

from grader.grading import syntax_directive


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o640
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _read(context: bytes) -> dict[str, tuple[bytes, int]]:
    with tarfile.open(fileobj=io.BytesIO(context)) as tar:
        return {m.name: (tar.extractfile(m).read(), m.mode) for m in tar.getmembers()}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("dockerfile", "found"),
    [
        ("# syntax=docker/dockerfile:1\nFROM busybox\n", (0, "docker/dockerfile:1")),
        ("#escape=`\n# SYNTAX = docker/dockerfile:1.7 \nFROM busybox\n", (1, "docker/dockerfile:1.7")),
        ("\ufeff# syntax=docker/dockerfile:1\r\nFROM busybox\r\n", (0, "docker/dockerfile:1")),
    ],
)
def test_a_directive_at_the_top_is_found(dockerfile: str, found: tuple[int, str]) -> None:
    assert syntax_directive.directive(dockerfile) == found


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM busybox\n# syntax=docker/dockerfile:1\n",  # after an instruction: a comment
        "\n# syntax=docker/dockerfile:1\nFROM busybox\n",  # after an empty line: a comment
        "# a comment\n# syntax=docker/dockerfile:1\nFROM busybox\n",  # after a comment: a comment
        "FROM busybox\n",
    ],
)
def test_a_comment_that_only_looks_like_a_directive_is_not_one(dockerfile: str) -> None:
    assert syntax_directive.directive(dockerfile) is None
    assert syntax_directive.blanked(dockerfile) == (dockerfile, None)


def test_the_directive_line_is_blanked_and_the_rest_kept_byte_for_byte() -> None:
    dockerfile = b"# syntax=docker/dockerfile:1\nFROM busybox\nRUN <<EOT\necho hi\nEOT\n"
    context = _tar({"Dockerfile": dockerfile, "app/data.txt": b"\x00\xffdata"})
    changed, value = syntax_directive.with_builtin_frontend(context)
    files = _read(changed)
    assert value == "docker/dockerfile:1"
    assert files["Dockerfile"] == (b"#\nFROM busybox\nRUN <<EOT\necho hi\nEOT\n", 0o640)
    assert files["app/data.txt"] == (b"\x00\xffdata", 0o640)


def test_a_context_without_the_directive_or_not_text_is_left_as_it_was() -> None:
    for dockerfile in (b"FROM busybox\n", b"\xff# syntax=x\nFROM busybox\n"):
        context = _tar({"Dockerfile": dockerfile})
        assert syntax_directive.with_builtin_frontend(context) == (context, None)


def test_the_student_is_told_in_printable_words_of_bounded_length() -> None:
    told = syntax_directive.advice("docker/dockerfile:1\x1b[2J" + "x" * 500)
    assert "docker/dockerfile:1[2J" in told and "\x1b" not in told and len(told) < 400
