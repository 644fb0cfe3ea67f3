"""`grader autograde`'s messages and grades table, for hostile student ids and nbgrader output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from grader.commands import autograde
from grader.course import autograde as autograding
from grader.course.nbgrade import NbgraderFailed
from grader.exit_codes import Exit
from tests.results import SGR, dangerous_on_terminal, terminal_output


def test_the_grades_table_shows_hostile_ids_as_text() -> None:
    rows = [
        {"assignment": "a\x1b]0;t\x07", "student_id": "evil\x1b[2J", "score": "1", "max_score": "2"},
        {"assignment": "a\x1b]0;t\x07", "student_id": "[b]ben\r✓", "score": "2", "max_score": "2"},
    ]
    output = terminal_output(autograde._table(rows))
    assert not dangerous_on_terminal(output)
    text = SGR.sub("", output)
    assert "evil␛[2J" in text and "[b]ben␍✓" in text and "a␛]0;t␇" in text


def test_a_failed_step_shows_nbgrader_s_output_as_text() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=200)

    def step() -> None:
        raise NbgraderFailed("nbgrader failed:\n\x1b]52;c;eA==\x07 [red]x[/] \x9b2J")

    assert autograding._attempt("week1: evil\x1b[2J", step, autograde.Steps(console)) == 1
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert not dangerous_on_terminal(output)
    text = SGR.sub("", output)
    assert "week1: evil␛[2J: failed" in text and "␛]52;c;eA==␇ [red]x[/] \\x9b2J" in text


def test_a_student_to_regrade_without_a_submission_exits_2_before_any_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "source" / "week1").mkdir(parents=True)
    (tmp_path / "submitted" / "ana" / "week1").mkdir(parents=True)
    monkeypatch.setattr(autograding, "prepare_images", _no_engine)
    assert autograde.main(course=tmp_path, regrade=["anna"]) == Exit.USAGE
    printed = capsys.readouterr()
    assert printed.out == ""
    assert "No submission to regrade from anna in" in printed.err and "Did you mean 'ana'?" in printed.err


def _no_engine() -> None:
    raise AssertionError("no engine is needed to refuse")


def test_who_is_autograded_again() -> None:
    assert "ana" in autograding.Again(students=frozenset({"ana"}))
    assert "ben" not in autograding.Again(students=frozenset({"ana"}))
    assert "ben" in autograding.Again(everyone=True)
    assert "ben" not in autograding.Again()
