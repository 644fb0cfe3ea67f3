"""Fixtures of the quiz tests: a progress file of the test's own, and question makers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader.quiz.bank import LETTERS, Question


@pytest.fixture(autouse=True)
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every quiz test keeps its progress in a file of its own, never the user's."""
    where = tmp_path / "progress" / "quiz-progress.json"
    monkeypatch.setenv("GRADER_QUIZ_PROGRESS", str(where))
    return where


@pytest.fixture
def question() -> Callable[..., Question]:
    """Make a question: `question("single", correct="b")`, `question("short", accepted=(...))`."""

    def make(kind: str, *, correct: str = "", **fields: Any) -> Question:
        if kind != "short":
            fields.setdefault("choices", ("one", "two", "three"))
            fields["correct"] = frozenset(LETTERS.index(letter) for letter in correct)
        return Question(id="q", kind=kind, text="Text?", explanation="Because.", **fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def right_response() -> Callable[[Question], str | frozenset[int]]:
    """What a student who knows the answer gives (not for live questions)."""

    def right(question: Question) -> str | frozenset[int]:
        return question.correct if question.is_choice else question.accepted[0]

    return right
