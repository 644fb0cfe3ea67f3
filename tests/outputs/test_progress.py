"""A batch's progress lines: one line per graded submission, whatever its student's folder is named."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader.batch.batch import Job
from grader.model.result import Result
from grader.outputs import progress
from tests.results import SGR, dangerous_on_terminal, terminal_output


def _job(student: str, exercise: str = "dockerfiles.hello") -> Job:
    return Job(student, exercise, Path("submitted") / student, "run")


def test_a_line_gives_student_exercise_score_status_and_time() -> None:
    result = Result("dockerfiles.hello", "s", duration_s=2.25)
    text = SGR.sub("", terminal_output(progress.line(_job("ana"), result)))
    assert text.split() == ["ana", "dockerfiles.hello", "0/0", "graded", "2.2", "s"]


def test_a_hostile_folder_name_cannot_forge_or_hide_a_line() -> None:
    names = [
        "evil\x1b]0;pwned\x07",
        "x\r  ana dockerfiles.hello 10/10 graded",
        "x\x1b[1A\x1b[2K",
        "a\nb",
        "\x9b2J",
    ]
    failed = Result("dockerfiles.hello", "s", status="error")
    output = terminal_output(*(progress.line(_job(name), failed) for name in names))
    assert not dangerous_on_terminal(output)
    lines = SGR.sub("", output).splitlines()
    assert len(lines) == len(names), "one line each"
    assert lines[1].startswith("  x␍  ana dockerfiles.hello 10/10 graded")
    assert all("error" in line for line in lines)


def test_a_note_is_shown_as_text() -> None:
    console = Console(record=True, force_terminal=True, width=200)
    with progress.BatchProgress(console, 1) as display:
        display.note("engine gone \x1b]0;pwned\x07 [bold]x[/]")
    text = console.export_text()
    assert "engine gone ␛]0;pwned␇ [bold]x[/]" in text


def test_piped_there_are_the_lines_and_no_bar() -> None:
    console = Console(record=True, width=200)  # no terminal, as when piped
    with progress.BatchProgress(console, 1) as display:
        display.done(_job("ana"), Result("dockerfiles.hello", "s", duration_s=1))
    assert console.export_text().split() == ["ana", "dockerfiles.hello", "0/0", "graded", "1.0", "s"]
