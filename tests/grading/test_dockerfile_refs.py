"""What a Dockerfile would fetch from the network, read before its build (grader.grading.dockerfile_refs)."""

from __future__ import annotations

import pytest

from grader.grading.dockerfile_refs import Instruction, instructions, network_refusals
from grader.model import failure

IMAGES = ("busybox:latest", "debian:bookworm-slim")
NOT_PROVIDED = (
    "needs an image the exercise does not provide; use one of: busybox:latest, debian:bookworm-slim"
)


def _refused(dockerfile: str, images: tuple[str, ...] = IMAGES) -> list[str]:
    return network_refusals(dockerfile, images)


# -- reading instructions -------------------------------------------------------------------------


def test_instructions_join_continuations_skip_comments_and_read_any_case() -> None:
    dockerfile = "# a comment\n\nfrom \\\n  # inside\n\n  busybox\nRun echo \\\n  hi\n"
    assert instructions(dockerfile) == [
        Instruction(3, "FROM", "busybox"),
        Instruction(7, "RUN", "echo   hi"),
    ]


def test_the_escape_directive_changes_the_continuation_mark() -> None:
    dockerfile = "# escape=`\nFROM `\n  alpine\nRUN dir C:\\\nCMD x\n"
    assert [(i.line, i.keyword, i.args) for i in instructions(dockerfile)] == [
        (2, "FROM", "alpine"),
        (4, "RUN", "dir C:\\"),
        (5, "CMD", "x"),
    ]


def test_an_escape_directive_of_another_character_keeps_the_backslash() -> None:
    assert instructions("# escape=\\`\nFROM \\\n  alpine\n") == [Instruction(2, "FROM", "alpine")]


def test_an_escape_after_a_comment_is_only_a_comment() -> None:
    dockerfile = "# hello\n# escape=`\nFROM busybox \\\n  AS b\n"
    assert instructions(dockerfile) == [Instruction(3, "FROM", "busybox   AS b")]


def test_crlf_line_ends_and_a_byte_order_mark_are_read() -> None:
    assert instructions("\ufeffFROM busybox\r\nCMD x\r\n") == [
        Instruction(1, "FROM", "busybox"),
        Instruction(2, "CMD", "x"),
    ]


# -- heredocs ------------------------------------------------------------------------------------


def test_a_run_heredoc_is_its_body_never_instructions() -> None:
    dockerfile = "FROM busybox\nRUN <<EOT\nFROM alpine\n# not a comment\nADD http://x/y /y \\\nEOT\nCMD x\n"
    assert instructions(dockerfile) == [
        Instruction(1, "FROM", "busybox"),
        Instruction(2, "RUN", "<<EOT", ("FROM alpine\n# not a comment\nADD http://x/y /y \\\n",)),
        Instruction(7, "CMD", "x"),
    ]
    assert _refused(dockerfile) == []


def test_copy_heredocs_quoted_chomped_and_several_in_one_instruction() -> None:
    dockerfile = (
        "FROM busybox\n"
        'COPY <<"A" <<-B /etc/\n'
        "FROM alpine\n"
        "A\n"
        "\tFROM debian\n"
        "\t\tB\n"
        "ADD https://example.com/f /f\n"
    )
    found = instructions(dockerfile)
    assert [(i.line, i.keyword, i.heredocs) for i in found] == [
        (1, "FROM", ()),
        (2, "COPY", ("FROM alpine\n", "\tFROM debian\n")),
        (7, "ADD", ()),
    ]
    assert _refused(dockerfile) == [
        "line 7: `ADD https://example.com/f` fetches from the network, which builds here do not "
        "have: download the file into your folder and `COPY` it."
    ]


def test_a_heredoc_after_continuations_and_flags_with_a_redirection() -> None:
    dockerfile = (
        "FROM busybox\nRUN --mount=type=secret,id=t \\\n  cat > /x <<EOF && \\\n  true\n"
        "FROM alpine\nEOF\nFROM debian:bookworm-slim\n"
    )
    found = instructions(dockerfile)
    assert [(i.line, i.keyword) for i in found] == [(1, "FROM"), (2, "RUN"), (7, "FROM")]
    assert found[1].heredocs == ("FROM alpine\n",)
    assert _refused(dockerfile) == []


@pytest.mark.parametrize(
    "dockerfile",
    [
        'FROM busybox\nRUN echo "<<EOF"\nFROM alpine\n',  # quoted: no heredoc
        "FROM busybox\nRUN echo a<<EOF\nFROM alpine\n",  # not at a word's start
        'FROM busybox\nRUN ["cat", "<<EOF"]\nFROM alpine\n',  # the JSON form opens none
        "FROM busybox\nCMD cat <<EOF\nFROM alpine\n",  # nor does CMD
        "FROM busybox\nRUN cat <<\nFROM alpine\n",  # no name
    ],
)
def test_what_is_no_heredoc_leaves_the_next_lines_instructions(dockerfile: str) -> None:
    assert [i.keyword for i in instructions(dockerfile)][-1] == "FROM"
    assert len(_refused(dockerfile)) == 1


def test_an_onbuild_heredoc_and_one_never_ended() -> None:
    onbuild = "FROM busybox\nONBUILD RUN <<X\nFROM alpine\nX\n"
    assert [i.heredocs for i in instructions(onbuild)] == [(), ("FROM alpine\n",)]
    unended = "FROM busybox\nRUN <<EOT\necho hi\nFROM alpine\n"
    assert instructions(unended)[-1] == Instruction(2, "RUN", "<<EOT", ("echo hi\nFROM alpine\n",))
    assert _refused(unended) == []


# -- FROM --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM busybox\n",
        "FROM busybox:latest\n",
        "FROM docker.io/library/busybox:latest\n",
        "FROM docker.io/busybox\n",
        "FROM library/busybox\n",
        "FROM index.docker.io/library/busybox\n",
        "from debian:bookworm-slim\n",
        "FROM --platform=linux/amd64 busybox AS base\n",
        "FROM scratch\nCOPY x /x\n",
        "FROM debian:bookworm-slim AS build\nRUN echo hi\nFROM build\n",
        "FROM busybox AS Build\nFROM build AS next\nFROM NEXT\n",
        "ARG IMAGE=busybox\nFROM $IMAGE\n",
        "ARG BASE=debian\nARG IMAGE=${BASE}:bookworm-slim\nFROM ${IMAGE}\n",
        'ARG IMAGE="busybox:latest"\nFROM ${IMAGE}\n',
        "ARG TAG\nFROM busybox:${TAG:-latest}\n",
        "ARG IMAGE=busybox\nARG IMAGE\nFROM $IMAGE\n",
    ],
)
def test_a_base_image_that_is_loaded_or_a_stage_is_not_refused(dockerfile: str) -> None:
    assert _refused(dockerfile) == []


def test_from_an_image_not_loaded_is_refused_naming_the_images() -> None:
    assert _refused("FROM alpine\n") == [f"line 1: `FROM alpine` {NOT_PROVIDED}."]
    assert _refused("\n# base\nFROM --platform=linux/amd64 python:3.12 AS app\n") == [
        f"line 3: `FROM python:3.12` {NOT_PROVIDED}."
    ]


@pytest.mark.parametrize(
    "image",
    [
        "busybox:1.36",
        "busybox@sha256:" + "0" * 64,
        "busybox:latest@sha256:" + "0" * 64,
        "ghcr.io/library/busybox:latest",
        "localhost/busybox",
        "debian",
        "me/busybox",
    ],
)
def test_another_tag_digest_or_registry_of_a_loaded_repository_is_not_loaded(image: str) -> None:
    assert _refused(f"FROM {image}\n") == [f"line 1: `FROM {image}` {NOT_PROVIDED}."]


def test_a_digest_pinned_image_is_loaded_when_the_exercise_loads_that_digest() -> None:
    pinned = "busybox@sha256:" + "1" * 64
    assert _refused(f"FROM docker.io/library/{pinned}\n", (pinned,)) == []
    assert _refused("FROM busybox\n", (pinned,)) != []


def test_a_later_stage_is_not_an_earlier_one() -> None:
    dockerfile = "FROM build\nRUN x\nFROM busybox AS build\n"
    assert _refused(dockerfile) == [f"line 1: `FROM build` {NOT_PROVIDED}."]


def test_a_refused_from_names_the_earlier_stages() -> None:
    dockerfile = "FROM busybox AS builder\nFROM alpine\n"
    assert _refused(dockerfile) == [f"line 2: `FROM alpine` {NOT_PROVIDED}, or an earlier stage: `builder`."]


def test_an_arg_default_is_substituted_and_the_refusal_shows_what_it_gave() -> None:
    assert _refused("ARG IMAGE=alpine:3.20\nFROM ${IMAGE}\n") == [
        f"line 2: `FROM ${{IMAGE}}` (that is, `alpine:3.20`) {NOT_PROVIDED}."
    ]


@pytest.mark.parametrize("dockerfile", ["ARG IMAGE\nFROM $IMAGE\n", "FROM ${IMAGE}\n"])
def test_an_arg_without_default_in_from_is_refused_with_a_sentence(dockerfile: str) -> None:
    (said,) = _refused(dockerfile)
    assert said.endswith(
        "uses `IMAGE`, which has no value: give it a default in an ARG before the "
        "first FROM (`ARG IMAGE=busybox`)."
    )


def test_an_arg_declared_after_the_first_from_does_not_name_a_later_base() -> None:
    dockerfile = "FROM busybox\nARG IMAGE=busybox\nFROM $IMAGE\n"
    assert _refused(dockerfile) == [
        "line 3: `FROM $IMAGE` uses `IMAGE`, which has no value: give it a default in an ARG before "
        "the first FROM (`ARG IMAGE=busybox`)."
    ]


def test_no_image_provided_says_scratch() -> None:
    assert _refused("FROM busybox\n", ()) == [
        "line 1: `FROM busybox` needs an image the exercise does not provide; use one of: none "
        "(use `FROM scratch`)."
    ]


# -- COPY --from ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM debian:bookworm-slim AS builder\nRUN x\nFROM busybox\nCOPY --from=builder /a /a\n",
        "FROM debian:bookworm-slim\nFROM busybox\nCOPY --from=0 /a /a\n",
        "FROM debian:bookworm-slim AS Builder\nFROM busybox\ncopy --chown=1:1 --from=BUILDER /a /a\n",
        "FROM busybox\nCOPY --from=busybox:latest /bin/sh /sh\n",
        "FROM busybox\nCOPY --from=debian:bookworm-slim /etc/os-release /x\n",
        "FROM busybox\nCOPY a /a\n",
        "FROM busybox\nRUN --mount=from=alpine,target=/x true\n",  # the classic builder has no --mount
    ],
)
def test_copy_from_a_stage_or_a_loaded_image_is_not_refused(dockerfile: str) -> None:
    assert _refused(dockerfile) == []


def test_copy_from_an_image_not_loaded_is_refused_as_it_would_be_pulled() -> None:
    dockerfile = "FROM debian:bookworm-slim AS builder\nRUN x\nFROM busybox\nCOPY --from=build /a /a\n"
    assert _refused(dockerfile) == [
        f"line 4: `COPY --from=build` {NOT_PROVIDED}, or an earlier stage: `builder`."
    ]
    assert _refused("FROM busybox\nCOPY --from=alpine /a /a\n") == [
        f"line 2: `COPY --from=alpine` {NOT_PROVIDED}."
    ]


def test_copy_from_its_own_or_a_later_stage_number_is_refused() -> None:
    assert _refused("FROM busybox\nCOPY --from=0 /a /a\n") == [f"line 2: `COPY --from=0` {NOT_PROVIDED}."]


# -- ADD ---------------------------------------------------------------------------------------


def _fetches(line: int, source: str) -> str:
    return (
        f"line {line}: `ADD {source}` fetches from the network, which builds here do not have: "
        "download the file into your folder and `COPY` it."
    )


@pytest.mark.parametrize(
    ("add", "source"),
    [
        ("ADD https://example.com/x /x", "https://example.com/x"),
        ("ADD http://example.com/x.tar.gz /x/", "http://example.com/x.tar.gz"),
        ("add HTTPS://example.com/x /x", "HTTPS://example.com/x"),
        ("ADD --checksum=sha256:" + "0" * 64 + " https://example.com/x /x", "https://example.com/x"),
        ("ADD --chown=1:1 --chmod=644 https://example.com/x /x", "https://example.com/x"),
        ("ADD git@github.com:docker/buildx.git /src", "git@github.com:docker/buildx.git"),
        ('ADD ["https://example.com/a b", "/x"]', "https://example.com/a b"),
        ('ADD "https://example.com/x" /x', "https://example.com/x"),
        ("ADD \\\n  https://example.com/x \\\n  /x", "https://example.com/x"),
    ],
)
def test_add_of_a_url_is_refused(add: str, source: str) -> None:
    assert _refused(f"FROM busybox\n{add}\n") == [_fetches(2, source)]


def test_add_of_a_url_in_an_arg_or_env_is_refused() -> None:
    dockerfile = (
        "FROM busybox\nARG URL=https://example.com/x\nADD $URL /x\nENV SITE example.com\n"
        "ADD https://${SITE}/y /y\n"
    )
    assert _refused(dockerfile) == [
        _fetches(3, "https://example.com/x"),
        _fetches(5, "https://example.com/y"),
    ]


def test_add_of_several_sources_refuses_each_url() -> None:
    dockerfile = "FROM busybox\nADD local.txt https://example.com/a https://example.com/b /x/\n"
    assert _refused(dockerfile) == [
        _fetches(2, "https://example.com/a"),
        _fetches(2, "https://example.com/b"),
    ]


@pytest.mark.parametrize(
    "add",
    ["ADD data.tar.gz /data/", "ADD --chown=1:1 page.html /www/", 'ADD ["a file", "/x"]', "ADD https /x"],
)
def test_add_of_a_local_file_is_not_refused(add: str) -> None:
    assert _refused(f"FROM busybox\n{add}\n") == []


def test_a_url_in_a_comment_or_a_run_is_not_refused_here() -> None:
    dockerfile = "FROM busybox\n# ADD https://example.com/x /x\nRUN echo ADD https://example.com/x\n"
    assert _refused(dockerfile) == []


def test_everything_refused_is_said_line_by_line_in_order() -> None:
    dockerfile = "FROM alpine AS a\nADD https://example.com/x /x\nFROM busybox\nCOPY --from=python /a /a\n"
    assert [said.split(":")[0] for said in _refused(dockerfile)] == ["line 1", "line 2", "line 4"]


def test_the_failure_block_says_what_was_refused_and_what_to_do() -> None:
    said = _refused("FROM alpine\nADD https://example.com/x /x\n")
    block = failure.of_refusal(said)
    assert block.what == failure.REFUSED_WHAT
    assert block.step == " ".join(said)
    assert "`COPY`" in block.hint


def test_student_text_stays_inside_one_code_span() -> None:
    (said,) = _refused("FROM busybox\nADD https://example.com/`x`\x1b[2J /x\n")
    assert said.startswith("line 2: `ADD https://example.com/'x'\x1b[2J` fetches")
