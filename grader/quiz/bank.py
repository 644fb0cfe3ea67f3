"""The quiz bank: grader/data/quizzes/<topic>.toml, loaded and validated into dataclasses.

A topic file holds `id` (its file name), `title` and `[[questions]]`, each with an `id`,
a `kind`, the `text`, an `explanation` shown after answering, and

- single / several: `choices` and `correct`, the letters of the right choices;
- short: `accepted` answers (and optionally a `pattern`, a regular expression), compared
  after normalising (see grader.quiz.answers), with `ignore_case` where case does not matter;
  or a `[questions.live]` table: a `probe` of grader.quiz.live with its `args`, the `setup`
  commands the student runs first and the `cleanup` that removes what they made.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from grader.quiz.live import PROBES

BANK = Path(__file__).resolve().parent.parent / "data" / "quizzes"
TOPICS = (
    "run-flow",
    "containers",
    "ports",
    "networks",
    "images",
    "volumes",
    "registries",
    "dockerfiles",
    "under-the-hood",
    "storage",
    "orchestration",
)
KINDS = ("single", "several", "short")
LETTERS = string.ascii_lowercase
_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

Kind = Literal["single", "several", "short"]


class QuizError(ValueError):
    """A topic file that does not load or validate; the message names the file and the question."""


class UnknownTopic(QuizError):
    """No topic of that name; the message lists the known ones."""


@dataclass(frozen=True)
class Live:
    """How a live question's answer is read from the student's engine."""

    probe: str
    args: Mapping[str, str]
    setup: str
    cleanup: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    text: str
    explanation: str
    choices: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()  # indices into choices
    accepted: tuple[str, ...] = ()
    pattern: str | None = None
    ignore_case: bool = False
    live: Live | None = None

    @property
    def is_choice(self) -> bool:
        return self.kind != "short"


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    questions: tuple[Question, ...] = ()

    def __len__(self) -> int:
        return len(self.questions)


def load(topic: str, bank: Path = BANK) -> Topic:
    """The topic `topic` of the bank, validated."""
    path = bank / f"{topic}.toml"
    if topic not in TOPICS or not path.is_file():
        raise UnknownTopic(f"There is no quiz {topic!r}. The topics are: {', '.join(TOPICS)}.")
    return load_file(path)


def load_all(bank: Path = BANK) -> list[Topic]:
    """Every topic, in the course's order."""
    return [load(topic, bank) for topic in TOPICS]


def load_file(path: Path) -> Topic:
    """One topic file, validated; a QuizError lists every problem, by file and question."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise QuizError(f"{path.name}: {error}") from None
    problems = list(_topic_problems(path, data))
    if problems:
        raise QuizError("\n".join(f"{path.name}, {problem}" for problem in problems))
    return Topic(
        id=data["id"],
        title=data["title"],
        questions=tuple(_question(raw) for raw in data["questions"]),
    )


def _question(raw: Mapping[str, Any]) -> Question:
    live = raw.get("live")
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        text=raw["text"].strip(),
        explanation=raw["explanation"].strip(),
        choices=tuple(raw.get("choices", ())),
        correct=frozenset(LETTERS.index(letter) for letter in raw.get("correct", ())),
        accepted=tuple(raw.get("accepted", ())),
        pattern=raw.get("pattern"),
        ignore_case=raw.get("ignore_case", False),
        live=Live(**live) if live else None,
    )


# Validation: each generator yields one sentence per problem.

_TOPIC_KEYS = {"id", "title", "questions"}
_QUESTION_KEYS = {"id", "kind", "text", "explanation"}
_KIND_KEYS = {
    "single": {"choices", "correct"},
    "several": {"choices", "correct"},
    "short": {"accepted", "pattern", "ignore_case", "live"},
}
_LIVE_KEYS = {"probe", "args", "setup", "cleanup"}


def _topic_problems(path: Path, data: Mapping[str, Any]) -> Iterator[str]:
    yield from (f"top level: unknown key {key!r}" for key in sorted(set(data) - _TOPIC_KEYS))
    if data.get("id") != path.stem:
        yield f"top level: id {data.get('id')!r} should be the file's name, {path.stem!r}"
    if not _text(data.get("title")):
        yield "top level: title is missing"
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        yield "top level: there are no [[questions]]"
        return
    seen: set[str] = set()
    for number, raw in enumerate(questions, start=1):
        if not isinstance(raw, Mapping):
            yield f"question #{number}: must be a [[questions]] table"
            continue
        name = f"question {raw.get('id') or f'#{number}'}"
        yield from (f"{name}: {problem}" for problem in _question_problems(raw, seen))


def _question_problems(raw: Mapping[str, Any], seen: set[str]) -> Iterator[str]:
    question_id = raw.get("id")
    if not isinstance(question_id, str) or not _ID.fullmatch(question_id):
        yield "id must be lower-case words joined by dashes"
    elif question_id in seen:
        yield "id is used twice"
    seen.add(str(question_id))
    yield from (f"{key} is missing" for key in ("text", "explanation") if not _text(raw.get(key)))
    kind = raw.get("kind")
    if kind not in KINDS:
        yield f"kind {kind!r} is not one of {', '.join(KINDS)}"
        return
    for key in sorted(set(raw) - _QUESTION_KEYS - _KIND_KEYS[kind]):
        yield f"key {key!r} does not belong to a {kind} question"
    yield from _short_problems(raw) if kind == "short" else _choice_problems(raw, kind)


def _choice_problems(raw: Mapping[str, Any], kind: str) -> Iterator[str]:
    choices = raw.get("choices")
    if not isinstance(choices, list) or len(choices) < 2 or not all(_text(c) for c in choices):
        yield "choices must be a list of at least two texts"
        return
    if len(set(choices)) != len(choices):
        yield "two choices are the same"
    correct = raw.get("correct")
    letters = LETTERS[: len(choices)]
    if not isinstance(correct, list) or not all(isinstance(c, str) and c in letters for c in correct):
        yield f"correct must list letters of the choices ({letters[0]}-{letters[-1]})"
    elif len(set(correct)) != len(correct):
        yield "correct names a choice twice"
    elif kind == "single" and len(correct) != 1:
        yield "a single-choice question has exactly one correct letter"
    elif kind == "several" and not correct:
        yield "a several-answers question needs at least one correct letter"


def _short_problems(raw: Mapping[str, Any]) -> Iterator[str]:
    accepted, pattern, live = raw.get("accepted"), raw.get("pattern"), raw.get("live")
    if not isinstance(raw.get("ignore_case", False), bool):
        yield "ignore_case must be true or false"
    if live is not None:
        if accepted is not None or pattern is not None:
            yield "a live question's answer comes from the engine: no accepted or pattern"
        yield from _live_problems(live)
        return
    if not isinstance(accepted, list) or not accepted or not all(_text(a) for a in accepted):
        yield "accepted must list at least one answer"
    if pattern is not None:
        yield from _pattern_problems(pattern)


def _pattern_problems(pattern: Any) -> Iterator[str]:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as error:
        yield f"pattern {pattern!r} is not a regular expression ({error})"


def _live_problems(live: Any) -> Iterator[str]:
    if not isinstance(live, Mapping):
        yield "live must be a table"
        return
    yield from (f"live: unknown key {key!r}" for key in sorted(set(live) - _LIVE_KEYS))
    if not _text(live.get("setup")):
        yield "live: setup (what the student runs first) is missing"
    probe = PROBES.get(live.get("probe", ""))
    if probe is None:
        yield f"live: probe {live.get('probe')!r} is not one of {', '.join(sorted(PROBES))}"
        return
    args = live.get("args", {})
    if not isinstance(args, Mapping) or not all(isinstance(value, str) for value in args.values()):
        yield f"live: args must be a table of texts, not {args!r}"
        return
    try:
        inspect.signature(probe).bind(None, **args)
    except TypeError as error:
        yield f"live: args {args!r} do not fit probe {probe.__name__} ({error})"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
