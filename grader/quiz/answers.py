"""Checking one answer: right or wrong, and the explanation the student reads next.

A response is the set of choice indices picked (single, several) or the text typed (short).
Short answers are compared after normalising: surrounding space, backticks and a `$ `
prompt dropped, runs of spaces made one, and case folded where the question says so; then
as the question's form says: a port's `/tcp` (the default protocol) dropped, a command's
`--opt=value` split into `--opt value` and its harmless flags (such as `--rm`) dropped.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Literal

import docker
import docker.errors

from grader.host import engine
from grader.quiz.bank import LETTERS, Question
from grader.quiz.live import PROBES, MissingState

Response = str | Collection[int]
ClientSource = Callable[[], docker.DockerClient]
Status = Literal["correct", "incorrect", "unchecked"]

_PROMPT = re.compile(r"^[$#>]\s+")
_TCP = re.compile(r"(\d+)/tcp", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """The verdict on one answer. `unchecked`: nothing to judge yet (the message says why)."""

    status: Status
    message: str
    explanation: str = ""
    cleanup: str = ""  # for live questions: what removes what the student made for it

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def checked(self) -> bool:
        return self.status != "unchecked"


@functools.cache
def host_client() -> docker.DockerClient:
    """The student's engine, as it is: never started or installed from a quiz."""
    return engine.connect(start=False, install=False)


def normalise(text: str, *, ignore_case: bool = False) -> str:
    """`text` as it is compared: trimmed, without backticks or a prompt, single spaces."""
    text = _PROMPT.sub("", text.strip().strip("`").strip())
    text = " ".join(text.split())
    return text.casefold() if ignore_case else text


def canonical(question: Question, text: str) -> str:
    """`text` as it is compared for `question`: normalised, then as the question's form says."""
    ignore_case = question.ignore_case or question.live is not None
    text = normalise(text, ignore_case=ignore_case)
    if question.form == "port":
        return _TCP.sub(r"\1", text) if _TCP.fullmatch(text) else text
    if question.form == "command":
        return _command(text, question.harmless, ignore_case=ignore_case)
    return text


def _command(text: str, harmless: Collection[str], *, ignore_case: bool) -> str:
    """A command's words, `--opt=value` split in two and harmless flags dropped, one space apart."""
    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote: compare the words as typed
        words = text.split()
    split = [part for word in words for part in _split_long_option(word)]
    drop = {flag.casefold() if ignore_case else flag for flag in harmless}
    return " ".join(_quoted(word) for word in split if word not in drop)


def _quoted(word: str) -> str:
    """A word quoted again only when it needs it: `'sleep 300'` stays one word, `'napper'` is napper."""
    return shlex.quote(word) if not word or any(char.isspace() for char in word) else word


def _split_long_option(word: str) -> list[str]:
    if word.startswith("--") and "=" in word:
        option, _, value = word.partition("=")
        return [option, value]
    return [word]


def choice_label(question: Question, index: int) -> str:
    """A choice as plain text with its letter: `b) -p 80` (Markdown backticks dropped)."""
    return f"{LETTERS[index]}) {question.choices[index].replace('`', '')}"


def right_answer(question: Question) -> str:
    """The right answer as the student should read it (not for live questions)."""
    if question.kind == "single":
        return choice_label(question, next(iter(question.correct)))
    if question.kind == "several":
        return ", ".join(LETTERS[index] for index in sorted(question.correct))
    return question.accepted[0]


def check(question: Question, response: Response, *, client: ClientSource | None = None) -> Outcome:
    """Judge `response` to `question`; live questions ask the engine `client` gives (default: host's)."""
    if question.is_choice:
        if isinstance(response, str):
            raise TypeError(f"{question.id} is a choice question: give the indices picked")
        return _check_choice(question, frozenset(response))
    if not isinstance(response, str):
        raise TypeError(f"{question.id} is a short-answer question: give the text typed")
    if not normalise(response):
        return Outcome("unchecked", "Type an answer first.")
    if question.live:
        return _check_live(question, response, client)
    return _verdict(question, _matches(question, response), right_answer(question))


def _check_choice(question: Question, picked: frozenset[int]) -> Outcome:
    if not picked:
        return Outcome("unchecked", "Pick an answer first.")
    verdict = _verdict(question, picked == question.correct, right_answer(question))
    if question.kind != "several" or verdict.correct:
        return verdict
    details = "".join(_picks_gone_wrong(question, picked))
    return Outcome(verdict.status, verdict.message + details, verdict.explanation)


def _picks_gone_wrong(question: Question, picked: frozenset[int]) -> Iterator[str]:
    """For a several-answers question: a line naming the wrong picks, one naming the missing ones."""
    wrong, missing = sorted(picked - question.correct), sorted(question.correct - picked)
    if wrong:
        yield "\nWrong picks: " + "; ".join(choice_label(question, index) for index in wrong)
    if missing:
        yield "\nMissing: " + "; ".join(choice_label(question, index) for index in missing)


def _matches(question: Question, response: str) -> bool:
    answer = canonical(question, response)
    if answer in {canonical(question, accepted) for accepted in question.accepted}:
        return True
    flags = re.IGNORECASE if question.ignore_case else 0
    return bool(question.pattern and re.fullmatch(question.pattern, answer, flags))


def _check_live(question: Question, response: str, client: ClientSource | None) -> Outcome:
    assert question.live is not None
    live = question.live
    try:
        expected = PROBES[live.probe]((client or host_client)(), **live.args)
    except (MissingState, engine.EngineUnavailable, docker.errors.DockerException) as missing:
        return Outcome("unchecked", f"{missing} First run:\n{live.setup}\nthen answer again.")
    right = canonical(question, response) == canonical(question, expected)
    verdict = _verdict(question, right, f"{expected} (your engine's answer)")
    return Outcome(verdict.status, verdict.message, verdict.explanation, live.cleanup)


def _verdict(question: Question, right: bool, answer: str) -> Outcome:
    if right:
        return Outcome("correct", "Right.", question.explanation)
    return Outcome("incorrect", f"Not quite. The answer: {answer}", question.explanation)
