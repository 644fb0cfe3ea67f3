"""Quiz progress on the student's machine: where it is kept, best and last scores, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.quiz import bank, progress
from grader.quiz.progress import Attempt, Score


def test_the_env_var_names_the_file(progress_file: Path) -> None:
    assert progress.path() == progress_file


def test_without_the_env_var_it_lives_in_the_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(progress.ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert progress.path() == tmp_path / "data" / "docker-course" / "quiz-progress.json"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress.path() == tmp_path / ".local" / "share" / "docker-course" / "quiz-progress.json"


def test_no_file_yet_is_no_progress(progress_file: Path) -> None:
    assert progress.load() == {}
    assert not progress_file.exists()


@pytest.mark.parametrize("text", ["", "{not json", "[]", '{"topics": {"ports": {"best": 3}}}'])
def test_an_unreadable_file_is_no_progress(progress_file: Path, text: str) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(text)
    assert progress.load() == {}


def test_the_best_score_stays_and_the_last_attempt_is_replaced(progress_file: Path) -> None:
    progress.record("ports", Score(7, 9, 9, at="2030-01-01T10:00:00+00:00"))
    mine = progress.record("ports", Score(4, 9, 9, at="2030-01-02T10:00:00+00:00"))
    assert (mine.best.score, mine.best.at) == (7, "2030-01-01T10:00:00+00:00")
    assert (mine.last.score, mine.last.at) == (4, "2030-01-02T10:00:00+00:00")
    assert progress.load()["ports"] == mine
    assert json.loads(progress_file.read_text())["version"] == progress.VERSION
    assert progress.record("ports", Score(9, 9, 9)).best.score == 9


def test_topics_are_kept_apart() -> None:
    progress.record("ports", Score(1, 1, 9))
    progress.record("volumes", Score(2, 2, 9))
    assert {topic: mine.best.score for topic, mine in progress.load().items()} == {"ports": 1, "volumes": 2}


def test_a_score_reads_as_a_student_would_say_it() -> None:
    assert str(Score(5, 9, 9)) == "5/9"
    assert str(Score(3, 4, 9)) == "3/9 (5 unanswered)"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    progress_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress.record("ports", Score(7, 9, 9))
    before = progress_file.read_text()

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        progress.record("ports", Score(9, 9, 9))
    assert progress_file.read_text() == before
    assert [p.name for p in progress_file.parent.iterdir()] == [progress_file.name]


def test_an_attempt_counts_first_answers_and_saves_after_each() -> None:
    ports = bank.load("ports")
    attempt = Attempt(ports)
    attempt.answer("fixed-port", True)
    assert progress.load()["ports"].last == attempt.score
    attempt.answer("fixed-port", False)
    attempt.answer("dynamic-port", False)
    assert (attempt.score.score, attempt.score.answered, attempt.score.total) == (1, 2, len(ports))
    assert progress.load()["ports"].best.score == 1


def test_an_attempt_without_autosave_is_saved_only_when_told() -> None:
    """The terminal quiz saves at the end, so a quiz stopped halfway records nothing."""
    ports = bank.load("ports")
    attempt = Attempt(ports, autosave=False)
    attempt.answer("fixed-port", True)
    assert progress.load() == {}
    attempt.save()
    assert progress.load()["ports"].last == attempt.score


def test_an_attempt_with_nothing_answered_saves_nothing() -> None:
    Attempt(bank.load("ports"), autosave=False).save()
    assert progress.load() == {}
