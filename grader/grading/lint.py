"""Dockerfile advice from hadolint, in the course's words. Advice never costs points."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from grader.model.failure import EMPTY, INSTRUCTIONS, before_from, first_word, unknown_instruction

# Findings the course does not want to nag about: exercises say `FROM busybox`,
# numeric user ids are not what a beginner needs to hear about, and SC2164
# ("cd ... || exit") contradicts DL3003's advice (use WORKDIR) on the same line.
QUIET = {"DL3006", "DL3007", "DL3066", "SC2164"}

COURSE_WORDS = {
    "DL3002": "The last USER is root: run the main process as an ordinary user when you can.",
    "DL3003": "`cd` inside RUN only lasts for that one RUN: use WORKDIR to change directory.",
    "DL3008": "Pin package versions in apt-get install (package=version) so rebuilds give the same image.",
    "DL3009": "Delete /var/lib/apt/lists/* in the same RUN as apt-get install to keep the image small.",
    "DL3014": "Pass -y to apt-get install: a build cannot answer questions.",
    "DL3015": "Add --no-install-recommends to apt-get install to avoid packages you did not ask for.",
    "DL3020": "Use COPY for local files; ADD also unpacks archives and fetches URLs, which surprises.",
    "DL3025": "Write CMD and ENTRYPOINT in exec form (a JSON list) so that signals and arguments "
    "reach your program.",
    "DL4000": 'MAINTAINER is deprecated: use LABEL maintainer="..." instead.',
    "DL4006": 'Set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before a RUN with a pipe, so a failing '
    "first command fails the build.",
}


def hadolint() -> str | None:
    """The hadolint executable: the one installed beside this Python first, then PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def advise(dockerfile: Path) -> list[str]:
    """Advice for a Dockerfile, one sentence a finding; empty if hadolint is missing."""
    executable = hadolint()
    if executable is None or not dockerfile.is_file():
        return []
    try:
        done = subprocess.run(
            [executable, "--format", "json", "--no-fail", "-"],
            input=dockerfile.read_bytes(),
            capture_output=True,
            timeout=20,
        )
        findings = json.loads(done.stdout or b"[]")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return []
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return [EMPTY]
    words = [_words(finding, text) for finding in findings if finding.get("code") not in QUIET]
    return list(dict.fromkeys(words))  # DL3061 comes once a line before FROM; its sentence once


def _words(finding: dict[str, object], dockerfile: str = "") -> str:
    """One finding in the course's words; a parse error or a missing FROM as a plain sentence."""
    code = str(finding.get("code", ""))
    line = finding.get("line", "?")
    if code == "DL1000":
        return _unreadable(line, dockerfile, finding.get("message"))
    if code == "DL3061":
        return before_from(dockerfile) or f"Line {line}: only ARG may come before the first FROM."
    text = COURSE_WORDS.get(code, str(finding.get("message", "")))
    return f"Line {line}: {text} ({code})"


def _unreadable(line: object, dockerfile: str, message: object) -> str:
    """A line hadolint could not parse: a word that is no instruction, or an instruction's syntax."""
    word = first_word(dockerfile, line) if isinstance(line, int) else ""
    if isinstance(line, int) and word and word.upper() not in INSTRUCTIONS and not word.startswith("#"):
        return unknown_instruction(line, word)
    said = _one_line(message).split(" expecting ")[0]
    return f"Line {line}: the linter could not read this line ({said}): check the syntax of its instruction."


def _one_line(text: object) -> str:
    return " ".join(str(text).split())
