"""A quiz in the terminal: one question at a time, feedback and explanation, a review and a score.

The choices are shuffled (by `rng`, seeded for repeatable runs) unless a question keeps them
`ordered`. `q` at any prompt, Ctrl-C or the end of the input stops the quiz and records nothing
(Quit); otherwise the attempt is saved at the end, and the questions missed or skipped are
reviewed with their explanations and the notebook section to reread.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.errors import Interrupted
from grader.quiz.answers import ClientSource, Outcome, Response, check, right_answer
from grader.quiz.bank import LETTERS, Question, Topic, shuffled
from grader.quiz.progress import Attempt, Score
from grader.safe_text import for_terminal

_HOW = {
    "single": "one answer: type its letter",
    "several": "several answers: type every right letter, e.g. a c",
    "short": "type the answer",
}
_SEPARATORS = re.compile(r"[\s,;]+")
_QUIT = "q"


class Quit(Interrupted):
    """The student stopped the quiz (`q`, Ctrl-C, end of input): nothing is recorded."""


@dataclass(frozen=True)
class Miss:
    """A question to review at the end: answered wrongly (`outcome`) or skipped (None)."""

    number: int
    question: Question
    outcome: Outcome | None


def run(
    topic: Topic,
    *,
    console: Console | None = None,
    client: ClientSource | None = None,
    where: Path | None = None,
    rng: random.Random | None = None,
) -> Score:
    """Ask every question of `topic` on the terminal; save and return the score. Quit: stopped."""
    console = console or Console()
    attempt = Attempt(topic, where, autosave=False)
    asked = shuffled(topic, rng or random.Random())
    console.rule(Text(f"Quiz: {topic.title}"))
    console.print(Text(f"Type {_QUIT} at any prompt to quit (nothing is recorded then).", style="dim"))
    try:
        misses = _ask_all(console, asked, attempt, client)
    except KeyboardInterrupt:
        raise Quit from None
    attempt.save()
    _review(console, misses)
    _summary(console, topic, attempt.score)
    return attempt.score


def _ask_all(console: Console, topic: Topic, attempt: Attempt, client: ClientSource | None) -> list[Miss]:
    """Ask each question in turn; a Miss for each one answered wrongly or skipped."""
    misses: list[Miss] = []
    for number, question in enumerate(topic.questions, start=1):
        console.print()
        _show(console, question, f"Question {number} of {len(topic)}")
        outcome = _ask(console, question, client)
        if outcome is None:
            misses.append(Miss(number, question, None))
            continue
        attempt.answer(question.id, outcome.correct)
        _feedback(console, outcome)
        if not outcome.correct:
            misses.append(Miss(number, question, outcome))
    return misses


def letters(text: str, question: Question) -> frozenset[int]:
    """The choices a typed answer like `a c`, `a,c` or `ac` picks; ValueError if it is not one."""
    allowed = LETTERS[: len(question.choices)]
    picked = _SEPARATORS.sub("", text.lower())
    if not picked or any(letter not in allowed for letter in picked):
        raise ValueError(f"Type letters from {allowed[0]} to {allowed[-1]}.")
    if question.kind == "single" and len(set(picked)) != 1:
        raise ValueError("Type one letter: this question has one answer.")
    return frozenset(allowed.index(letter) for letter in picked)


def choices_table(question: Question) -> Table:
    """The choices, a letter column and their Markdown text: a wrapped choice keeps its indent."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for index, choice in enumerate(question.choices):
        table.add_row(Text(f"{LETTERS[index]})"), Markdown(choice))
    return table


def _show(console: Console, question: Question, heading: str) -> None:
    console.print(Text(f"{heading} ({_HOW[question.kind]})", style="bold"))
    console.print(Markdown(question.text))
    if question.choices:
        console.print(_indented(choices_table(question)))


def _read() -> str:
    """One line typed at the prompt; Quit for `q`, Ctrl-C or the end of the input."""
    try:
        typed: str = click.prompt(
            f"Your answer (Enter to skip, {_QUIT} to quit)", default="", show_default=False
        )
    except click.Abort:  # click's prompt turns Ctrl-C and the end of the input into Abort
        raise Quit from None
    if typed.strip().lower() == _QUIT:
        raise Quit
    return typed


def _ask(console: Console, question: Question, client: ClientSource | None) -> Outcome | None:
    """Prompt until the answer can be judged; None when the student skips (an empty answer)."""
    while True:
        typed = _read()
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
        console.print(Text(for_terminal(outcome.message), style="yellow"))


def _feedback(console: Console, outcome: Outcome) -> None:
    mark, style = ("✓", "green") if outcome.correct else ("✗", "red")
    message = for_terminal(outcome.message)  # it may quote what the student's engine answered
    console.print(Text(f"{mark} {message}", style=f"bold {style}"))
    console.print(_indented(Markdown(outcome.explanation)))
    if outcome.cleanup:
        console.print(Text(f"When you are done, clean up: {outcome.cleanup}", style="cyan"))


def _review(console: Console, misses: list[Miss]) -> None:
    """Each question missed or skipped again: the question, the answer, why, and what to reread."""
    if not misses:
        return
    console.print()
    console.rule(Text(f"To review: {len(misses)} question{'s' if len(misses) > 1 else ''} missed or skipped"))
    for miss in misses:
        console.print()
        state = "skipped" if miss.outcome is None else "missed"
        console.print(Text(f"Question {miss.number} ({state})", style="bold"))
        console.print(Markdown(miss.question.text))
        if miss.question.choices:
            console.print(_indented(choices_table(miss.question)))
        console.print(_indented(_answer(miss)))
        console.print(_indented(Markdown(miss.question.explanation)))
        if miss.question.reread:
            console.print(_indented(Text(f"Reread: {miss.question.reread}", style="cyan")))


def _answer(miss: Miss) -> Text:
    """The right answer of a reviewed question (for a skipped live one: what to run to find it)."""
    if miss.outcome is not None:
        return Text(for_terminal(miss.outcome.message), style="bold")
    live = miss.question.live
    if live is not None:
        return Text(f"Your engine knows the answer; first run: {live.setup}", style="bold")
    return Text(f"The answer: {right_answer(miss.question)}", style="bold")


def _indented(renderable: RenderableType) -> Padding:
    return Padding(renderable, (0, 0, 0, 2))


def _summary(console: Console, topic: Topic, score: Score) -> None:
    console.print()
    console.rule(Text(f"Your score on {topic.title}: {score}"))
    if score.answered:
        console.print("Progress saved: grader quiz --progress shows every topic.", markup=False)
    else:
        console.print("Nothing answered, so nothing was recorded.", markup=False)
