"""`grader check`'s terminal output for a hostile result (grading itself replaced: no engine needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.commands import check
from grader.model.exercise import ROOT
from tests.results import dangerous_in, hostile_result


def test_a_hostile_result_and_its_reason_print_as_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(check, "grade", lambda exercise, folder: hostile_result())
    assert check.main(exercise_id="dockerfiles.hello", submission=tmp_path, as_json=False) == 1
    printed = capsys.readouterr()
    for text in printed:
        assert not dangerous_in(text), dangerous_in(text)
    assert "prints hello" in printed.out, "the report goes to stdout"
    assert "Grading could not happen: The build failed:\n␛]0;pwned␇\n" in printed.err, "the error to stderr"


def test_json_output_escapes_every_control(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(check, "grade", lambda exercise, folder: hostile_result())
    check.main(exercise_id="dockerfiles.hello", submission=tmp_path, as_json=True)
    printed = capsys.readouterr()
    assert printed.out.isascii() and "\\u001b]0;pwned\\u0007" in printed.out
    assert json.loads(printed.out)["status"] == "error", "stdout holds the JSON alone"
    assert "Grading could not happen" in printed.err


LONG = "docker run --rm --name a-long-name " + " ".join(f"--label course.check.{n}=yes" for n in range(15))
PIPED = f"""
import sys
from grader.cli import main
from grader.commands import check
from tests.results import scored

result = scored("dockerfiles.hello", [(3, False), (7, True)])
result.checks[0].reproduce = {LONG!r}
check.grade = lambda exercise, folder: result
main(["check", "dockerfiles.hello", sys.argv[1]])
"""


def test_piped_grader_check_is_plain_and_keeps_each_command_whole(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    done = subprocess.run(
        [sys.executable, "-c", PIPED, str(tmp_path)],
        capture_output=True,  # stdout is a pipe, as in `grader check ... | less`
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("dockerfiles.hello  graded  7/10 points (70%)")
    assert f"    Try: {LONG}" in lines, done.stdout
    assert "…" not in done.stdout and not set(done.stdout) & set("│─┃━╭╮╰╯"), done.stdout
    assert "\x1b" not in done.stdout
