"""Quiz progress on the student's machine: the best score and the last attempt of each topic.

Kept in $GRADER_QUIZ_PROGRESS if set, else $XDG_DATA_HOME/docker-course/quiz-progress.json
(~/.local/share/... without XDG_DATA_HOME), written atomically (a temporary file renamed
over it), so a quiz stopped halfway never leaves half a file. A file that cannot be read
counts as no progress yet.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.quiz.bank import Topic

ENV = "GRADER_QUIZ_PROGRESS"
VERSION = 1


@dataclass(frozen=True)
class Score:
    """One attempt: `score` right of `answered` answered, out of `total` questions."""

    score: int
    answered: int
    total: int
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def fraction(self) -> float:
        return self.score / self.total if self.total else 0.0

    @property
    def when(self) -> str:
        """When, in local time, to the minute."""
        return datetime.fromisoformat(self.at).astimezone().strftime("%Y-%m-%d %H:%M")

    def __str__(self) -> str:
        unanswered = self.total - self.answered
        return f"{self.score}/{self.total}" + (f" ({unanswered} unanswered)" if unanswered else "")


@dataclass(frozen=True)
class TopicProgress:
    best: Score
    last: Score


def path() -> Path:
    """Where progress is kept on this machine."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "docker-course" / "quiz-progress.json"


def load(where: Path | None = None) -> dict[str, TopicProgress]:
    """The progress per topic id; empty when there is none yet (or it cannot be read)."""
    try:
        data = json.loads((where or path()).read_text(encoding="utf-8"))
        return {topic: _topic(raw) for topic, raw in data["topics"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def record(topic: str, score: Score, where: Path | None = None) -> TopicProgress:
    """Save `score` as the last attempt of `topic`, and as its best when it beats the best."""
    where = where or path()
    everything = load(where)
    before = everything.get(topic)
    best = before.best if before and before.best.fraction >= score.fraction else score
    everything[topic] = TopicProgress(best=best, last=score)
    _write(where, {"version": VERSION, "topics": {k: asdict(v) for k, v in everything.items()}})
    return everything[topic]


class Attempt:
    """One go at a topic: the first answer to each question counts.

    With `autosave` (a notebook, which has no end) it is saved after each answer; without it
    (a terminal quiz, which may be quit) only when `save` is called, at the end.
    """

    def __init__(self, topic: Topic, where: Path | None = None, *, autosave: bool = True) -> None:
        self.topic = topic
        self.where = where
        self.autosave = autosave
        self.results: dict[str, bool] = {}

    def answer(self, question_id: str, correct: bool) -> None:
        """Count `question_id`'s first answer (and save the attempt so far, with autosave)."""
        if question_id in self.results:
            return
        self.results[question_id] = correct
        if self.autosave:
            self.save()

    def save(self) -> None:
        """Record the attempt as the topic's last (and maybe best); nothing if nothing was answered."""
        if self.results:
            record(self.topic.id, self.score, self.where)

    @property
    def score(self) -> Score:
        return Score(sum(self.results.values()), len(self.results), len(self.topic))


def _topic(raw: dict[str, Any]) -> TopicProgress:
    return TopicProgress(best=Score(**raw["best"]), last=Score(**raw["last"]))


def _write(where: Path, data: dict[str, Any]) -> None:
    where.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=where.parent, prefix=f".{where.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, where)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
