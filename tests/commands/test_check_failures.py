"""`grader check` on tiny submissions whose build fails: the failure block first, checks not run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

GRADER = str(Path(sys.executable).parent / "grader")
HELLO = "dockerfiles.hello"


def _check(tmp_path: Path, dockerfile: str, *options: str) -> str:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    done = subprocess.run(
        [GRADER, "check", *options, HELLO, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_misspelt_from_is_one_plain_sentence_and_no_check_runs(tmp_path: Path) -> None:
    printed = _check(tmp_path, "FORM busybox\nCMD echo hello\n")
    block, checks = printed.split("build prints message", 1)
    assert "Docker could not read your Dockerfile" in block
    assert "line 1: `FORM` is not an instruction; did you mean `FROM`?" in block
    assert "expecting" not in printed, "no parser text from hadolint"
    assert checks.count("not run") == 5 and "Hint:" not in checks


def test_a_failing_run_names_its_step_and_exit_code(tmp_path: Path) -> None:
    printed = _check(tmp_path, "FROM busybox\nRUN echo about to fail && exit 3\n")
    block = printed.split("build prints message", 1)[0]
    for part in ("a command failed at step 2/2", "RUN echo about to fail && exit 3", "about to fail"):
        assert part in block, printed
    assert "exit code 3" in block and "docker run --rm -it busybox sh" in block
    assert "/var/lib/docker" not in printed and "Running in" not in printed


def test_json_keeps_the_failure_and_marks_checks_not_run(tmp_path: Path) -> None:
    result = json.loads(_check(tmp_path, "FROM busybox\nCOPY missing.txt /\n", "--json"))
    assert "a file to copy is missing at step 2/2" in result["failure"]["what"]
    assert "not in your folder (or is in .dockerignore)" in result["failure"]["hint"]
    assert all(check["not_run"] for check in result["checks"])
