"""The quiz bank: grader/data/quizzes/<topic>.toml, loaded and validated into dataclasses.

A topic file holds `id` (its file name), `title`, optionally `notebook` (its folder in
notebooks/source, e.g. "08-dockerfiles") and `[[questions]]`, each with an `id`, a `kind`,
the `text`, an `explanation` shown after answering, optionally a `section` (a heading of the
topic's notebook, to reread after a miss), and

- single / several: `choices` and `correct`, the letters of the right choices; the choices
  are shown shuffled unless `ordered = true` (when their order is the point);
- short: `accepted` answers (and optionally a `pattern`, a regular expression), compared
  after normalising (see grader.quiz.answers) as their `form` says: "text" (the default),
  "port" (`5000/tcp` is `5000`) or "command" (`--opt=value` is `--opt value`, and the flags
  listed in `harmless` are dropped), with `ignore_case` where case does not matter;
  or a `[questions.live]` table: a `probe` of grader.quiz.live with its `args`, the `setup`
  commands the student runs first and the `cleanup` that removes what they made.
"""

from __future__ import annotations

import inspect
import json
import random
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from grader.errors import InputError
from grader.quiz.live import PROBES
from grader.text import did_you_mean

BANK = Path(__file__).resolve().parent.parent / "data" / "quizzes"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "source"  # absent when installed alone
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
FORMS = ("text", "port", "command")
LETTERS = string.ascii_lowercase
_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

Kind = Literal["single", "several", "short"]
Form = Literal["text", "port", "command"]


class QuizError(InputError, ValueError):
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
    ordered: bool = False  # choices keep their order (never shuffled)
    accepted: tuple[str, ...] = ()
    pattern: str | None = None
    ignore_case: bool = False
    form: Form = "text"
    harmless: tuple[str, ...] = ()  # command flags that change nothing here, dropped before comparing
    live: Live | None = None
    notebook: str | None = None  # the topic's notebook folder, e.g. "08-dockerfiles"
    section: str | None = None  # a heading in that notebook

    @property
    def is_choice(self) -> bool:
        return self.kind != "short"

    @property
    def reread(self) -> str:
        """Where the course explains it: `08-dockerfiles/dockerfiles.ipynb, section "EXPOSE"`."""
        if not self.notebook:
            return ""
        where = notebook_file(self.notebook)
        heading = (self.section or "").replace("`", "")  # as the notebook shows it, code marks gone
        return f'{where}, section "{heading}"' if heading else where


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    questions: tuple[Question, ...] = ()
    notebook: str | None = None

    def __len__(self) -> int:
        return len(self.questions)

    @property
    def live_questions(self) -> int:
        """How many questions read their answer from the student's engine."""
        return sum(1 for question in self.questions if question.live)


def notebook_file(notebook: str) -> str:
    """The notebook of a topic folder: `08-dockerfiles` holds `08-dockerfiles/dockerfiles.ipynb`."""
    return f"{notebook}/{notebook.partition('-')[2]}.ipynb"


def shuffled(topic: Topic, rng: random.Random) -> Topic:
    """`topic` with each question's choices in an order drawn from `rng` (not `ordered` ones)."""
    return replace(topic, questions=tuple(shuffle(question, rng) for question in topic.questions))


def shuffle(question: Question, rng: random.Random) -> Question:
    """`question` with its choices shuffled and `correct` following them; as it is if `ordered`."""
    if not question.is_choice or question.ordered:
        return question
    order = list(range(len(question.choices)))
    rng.shuffle(order)
    return replace(
        question,
        choices=tuple(question.choices[index] for index in order),
        correct=frozenset(order.index(index) for index in question.correct),
    )


def load(topic: str, bank: Path = BANK) -> Topic:
    """The topic `topic` of the bank, validated."""
    path = bank / f"{topic}.toml"
    if topic not in TOPICS or not path.is_file():
        raise UnknownTopic(
            f"There is no quiz {topic!r}.{did_you_mean(topic, TOPICS)} The topics are: {', '.join(TOPICS)}."
        )
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
    notebook = data.get("notebook")
    return Topic(
        id=data["id"],
        title=data["title"],
        questions=tuple(_question(raw, notebook) for raw in data["questions"]),
        notebook=notebook,
    )


def _question(raw: Mapping[str, Any], notebook: str | None) -> Question:
    live = raw.get("live")
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        text=raw["text"].strip(),
        explanation=raw["explanation"].strip(),
        choices=tuple(raw.get("choices", ())),
        correct=frozenset(LETTERS.index(letter) for letter in raw.get("correct", ())),
        ordered=raw.get("ordered", False),
        accepted=tuple(raw.get("accepted", ())),
        pattern=raw.get("pattern"),
        ignore_case=raw.get("ignore_case", False),
        form=raw.get("form", "text"),
        harmless=tuple(raw.get("harmless", ())),
        live=Live(**live) if live else None,
        notebook=notebook,
        section=raw.get("section"),
    )


# Validation: each generator yields one sentence per problem.

_TOPIC_KEYS = {"id", "title", "notebook", "questions"}
_QUESTION_KEYS = {"id", "kind", "text", "explanation", "section"}
_KIND_KEYS = {
    "single": {"choices", "correct", "ordered"},
    "several": {"choices", "correct", "ordered"},
    "short": {"accepted", "pattern", "ignore_case", "form", "harmless", "live"},
}
_HARMLESS = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9-]*")
_LIVE_KEYS = {"probe", "args", "setup", "cleanup"}


def _topic_problems(path: Path, data: Mapping[str, Any]) -> Iterator[str]:
    yield from (f"top level: unknown key {key!r}" for key in sorted(set(data) - _TOPIC_KEYS))
    if data.get("id") != path.stem:
        yield f"top level: id {data.get('id')!r} should be the file's name, {path.stem!r}"
    if not _text(data.get("title")):
        yield "top level: title is missing"
    headings, problem = _notebook_headings(data.get("notebook"))
    if problem:
        yield f"top level: {problem}"
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
        yield from (f"{name}: {problem}" for problem in _section_problems(raw, data, headings))


def _notebook_headings(notebook: Any) -> tuple[set[str] | None, str]:
    """The headings of the topic's notebook (None: not checkable here) and a problem, if any."""
    if notebook is None:
        return None, ""
    if not _text(notebook) or not re.fullmatch(r"\d\d-[a-z0-9-]+", notebook):
        return None, f"notebook {notebook!r} should be a folder of notebooks/source, like '08-dockerfiles'"
    if not NOTEBOOKS.is_dir():
        return None, ""  # installed without the course's notebooks: nothing to check against
    path = NOTEBOOKS / notebook_file(notebook)
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"notebook {notebook!r}: there is no readable {path}"
    return set(_headings(cells)), ""


def _headings(cells: list[Any]) -> Iterator[str]:
    for cell in cells:
        if isinstance(cell, Mapping) and cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            for line in ("".join(source) if isinstance(source, list) else str(source)).splitlines():
                if line.startswith("#"):
                    yield line.lstrip("#").strip()


def _section_problems(
    raw: Mapping[str, Any], data: Mapping[str, Any], headings: set[str] | None
) -> Iterator[str]:
    section = raw.get("section")
    if section is None:
        return
    if not _text(section):
        yield "section must be a heading of the topic's notebook"
    elif data.get("notebook") is None:
        yield "section needs a top-level notebook to be in"
    elif headings is not None and section not in headings:
        yield f"section {section!r} is not a heading of notebook {data['notebook']!r}"


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
    if not isinstance(raw.get("ordered", False), bool):
        yield "ordered must be true or false"
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
    yield from _form_problems(raw.get("form", "text"), raw.get("harmless"))
    if live is not None:
        if accepted is not None or pattern is not None:
            yield "a live question's answer comes from the engine: no accepted or pattern"
        yield from _live_problems(live)
        return
    if not isinstance(accepted, list) or not accepted or not all(_text(a) for a in accepted):
        yield "accepted must list at least one answer"
    if pattern is not None:
        yield from _pattern_problems(pattern)


def _form_problems(form: Any, harmless: Any) -> Iterator[str]:
    if form not in FORMS:
        yield f"form {form!r} is not one of {', '.join(FORMS)}"
    if harmless is None:
        return
    if form != "command":
        yield 'harmless flags only go with form = "command"'
    elif not isinstance(harmless, list) or not all(
        isinstance(f, str) and _HARMLESS.fullmatch(f) for f in harmless
    ):
        yield 'harmless must list flags without values, such as "--rm" or "-f"'


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
