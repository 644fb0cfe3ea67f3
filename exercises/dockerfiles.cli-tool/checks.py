"""Checks for dockerfiles.cli-tool: an image that acts as a command.

`docker run IMG hello world` prints `HELLO WORLD`; with no arguments it prints
`NOTHING TO SAY`. The arguments reach an exec-form ENTRYPOINT; the default words
live in CMD.
"""

from __future__ import annotations

from grader.checks.toolkit import ImageInfo, RunImage, RunResult, check, said
from grader.text import shorten

DEFAULT = "NOTHING TO SAY"


def _prints(result: RunResult, text: str) -> bool:
    return not result.timed_out and result.stdout in (text + "\n", text)


def _is_shell_form(entrypoint: list[str]) -> bool:
    # `ENTRYPOINT some text` is stored as ["/bin/sh", "-c", "some text"].
    return len(entrypoint) == 3 and entrypoint[:2] == ["/bin/sh", "-c"]


@check(
    points=3,
    expected="`docker run IMG hello world` prints `HELLO WORLD`.",
    hint="Words after the image name are appended to an ENTRYPOINT written in exec form "
    "(a JSON list). Your command must upper-case all of them, for example with "
    '`echo "$*" | tr a-z A-Z` in a small script.',
    reproduce="docker build -t shout . && docker run --rm shout hello world",
)
def test_shouts_hello_world(run: RunImage) -> None:
    result = run("hello", "world")
    assert _prints(result, "HELLO WORLD"), said(result)


@check(
    points=2,
    expected="It upper-cases any words it is given: "
    "`docker run IMG Containers ship software` prints `CONTAINERS SHIP SOFTWARE`.",
    hint='Use every argument, the first one too: in a script, "$*" (or "$@") holds them all. '
    "With `sh -c '...'` in an ENTRYPOINT, the first argument lands in $0, so add a placeholder "
    "word after the script.",
    reproduce="docker run --rm shout Containers ship software",
)
def test_shouts_any_words(run: RunImage) -> None:
    result = run("Containers", "ship", "software")
    assert _prints(result, "CONTAINERS SHIP SOFTWARE"), said(result)


@check(
    points=2,
    expected=f"`docker run IMG` with no arguments prints `{DEFAULT}`.",
    hint='Give the default words with CMD, in exec form: CMD ["nothing to say"]. '
    "Docker appends them to the ENTRYPOINT when no arguments are given.",
    reproduce="docker run --rm shout",
)
def test_default_message(run: RunImage) -> None:
    result = run()
    assert _prints(result, DEFAULT), said(result)


@check(
    points=2,
    expected="The image has an ENTRYPOINT in exec form (a JSON list), so arguments reach it.",
    hint='Write ENTRYPOINT ["/usr/local/bin/shout"], not ENTRYPOINT /usr/local/bin/shout: '
    'the shell form runs `/bin/sh -c "..."` and silently drops every argument.',
    reproduce="docker image inspect --format '{{json .Config.Entrypoint}}' shout",
)
def test_entrypoint_exec_form(image: ImageInfo) -> None:
    assert image.entrypoint, "the image has no ENTRYPOINT"
    assert not _is_shell_form(image.entrypoint), (
        f"the ENTRYPOINT is in shell form ({shorten(image.entrypoint[2], 120)!r} wrapped "
        "in /bin/sh -c), so Docker ignores the arguments"
    )


@check(
    points=1,
    expected="The default words (`nothing to say`) are the image's CMD.",
    hint="Keep the command in ENTRYPOINT and only the default words in CMD: "
    'CMD ["nothing to say"]. Then `docker run IMG other words` replaces them.',
    reproduce="docker image inspect --format '{{json .Config.Cmd}}' shout",
)
def test_default_words_in_cmd(image: ImageInfo) -> None:
    assert image.cmd, "the image has no CMD"
    words = " ".join(image.cmd).split()
    assert " ".join(words).lower() == DEFAULT.lower(), f"the CMD is {image.cmd!r}"
