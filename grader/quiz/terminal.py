"""A quiz in the terminal: one question at a time, feedback and explanation, a score at the end."""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.padding import Padding
from rich.text import Text

from grader.quiz.answers import ClientSource, Outcome, Response, check, choice_label
from grader.quiz.bank import LETTERS, Question, Topic
from grader.quiz.progress import Attempt, Score

_HOW = {
    "single": "one answer: type its letter",
    "several": "several answers: type every right letter, e.g. a c",
    "short": "type the answer",
}
_SEPARATORS = re.compile(r"[\s,;]+")


def run(
    topic: Topic,
    *,
    console: Console | None = None,
    client: ClientSource | None = None,
    where: Path | None = None,
) -> Score:
    """Ask every question of `topic` on the terminal; save and return the score."""
    console = console or Console()
    attempt = Attempt(topic, where)
    console.rule(Text(f"Quiz: {topic.title}"))
    for number, question in enumerate(topic.questions, start=1):
        console.print()
        _show(console, question, f"Question {number} of {len(topic)}")
        outcome = _ask(console, question, client)
        if outcome is not None:
            attempt.answer(question.id, outcome.correct)
            _feedback(console, outcome)
    _summary(console, topic, attempt.score)
    return attempt.score


def letters(text: str, question: Question) -> frozenset[int]:
    """The choices a typed answer like `a c`, `a,c` or `ac` picks; ValueError if it is not one."""
    allowed = LETTERS[: len(question.choices)]
    picked = _SEPARATORS.sub("", text.lower())
    if not picked or any(letter not in allowed for letter in picked):
        raise ValueError(f"Type letters from {allowed[0]} to {allowed[-1]}.")
    if question.kind == "single" and len(set(picked)) != 1:
        raise ValueError("Type one letter: this question has one answer.")
    return frozenset(allowed.index(letter) for letter in picked)


def _show(console: Console, question: Question, heading: str) -> None:
    console.print(Text(f"{heading} ({_HOW[question.kind]})", style="bold"))
    console.print(Markdown(question.text))
    for index in range(len(question.choices)):
        console.print(Padding(Text(choice_label(question, index)), (0, 0, 0, 2)))


def _ask(console: Console, question: Question, client: ClientSource | None) -> Outcome | None:
    """Prompt until the answer can be judged; None when the student skips (an empty answer)."""
    while True:
        typed = click.prompt("Your answer (Enter to skip)", default="", show_default=False)
        if not typed.strip():
            console.print(Text("Skipped.", style="yellow"))
            return None
        try:
            response: Response = letters(typed, question) if question.is_choice else typed
        except ValueError as wrong:
            console.print(Text(str(wrong), style="yellow"))
            continue
        outcome = check(question, response, client=client)
        if outcome.checked:
            return outcome
        console.print(Text(outcome.message, style="yellow"))


def _feedback(console: Console, outcome: Outcome) -> None:
    mark, style = ("✓", "green") if outcome.correct else ("✗", "red")
    console.print(Text(f"{mark} {outcome.message}", style=f"bold {style}"))
    console.print(Padding(Markdown(outcome.explanation), (0, 0, 0, 2)))
    if outcome.cleanup:
        console.print(Text(f"When you are done, clean up: {outcome.cleanup}", style="cyan"))


def _summary(console: Console, topic: Topic, score: Score) -> None:
    console.print()
    console.rule(Text(f"Your score on {topic.title}: {score}"))
    console.print("Progress saved: `grader quiz --progress` shows every topic.", markup=False)
