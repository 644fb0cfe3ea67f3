"""A quiz in a notebook, with ipywidgets: one cell shows a whole topic.

    from grader.quiz.widgets import quiz
    quiz("networks")

Each question has its inputs (radio buttons, check boxes or a text box, the choices shuffled
unless the question keeps them `ordered`) and a Check button; after checking, the verdict and
the explanation (and after a miss, the notebook section to reread) appear below it, the inputs
lock and the progress is saved, as `grader quiz` does in a terminal.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import ipywidgets as widgets
from IPython.display import display
from markdown_it import MarkdownIt

from grader.quiz import bank
from grader.quiz.answers import ClientSource, Outcome, Response, check, choice_label
from grader.quiz.bank import Question, Topic
from grader.quiz.progress import Attempt

Input: TypeAlias = widgets.RadioButtons | widgets.Text | list[widgets.Checkbox]
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_WIDE = widgets.Layout(width="auto")


def markdown(text: str) -> str:
    """`text` (Markdown) as HTML; any HTML in it is shown, not obeyed."""
    return str(_MARKDOWN.render(text))


@dataclass
class QuestionView:
    """The widgets of one question."""

    question: Question
    input: Input
    button: widgets.Button
    feedback: widgets.HTML
    box: widgets.VBox

    def response(self) -> Response:
        """What the student has entered so far."""
        if isinstance(self.input, widgets.Text):
            return str(self.input.value)
        if isinstance(self.input, widgets.RadioButtons):
            return frozenset() if self.input.value is None else frozenset({self.input.value})
        return frozenset(index for index, box in enumerate(self.input) if box.value)

    def lock(self) -> None:
        for widget in [*self._input_widgets(), self.button]:
            widget.disabled = True

    def _input_widgets(self) -> list[widgets.ValueWidget]:
        return self.input if isinstance(self.input, list) else [self.input]


@dataclass
class QuizView:
    """The widgets of one topic's quiz, and the attempt they record."""

    topic: Topic
    attempt: Attempt
    questions: list[QuestionView]
    score: widgets.HTML
    box: widgets.VBox


def quiz(
    topic: str, *, client: ClientSource | None = None, where: Path | None = None, seed: int | None = None
) -> None:
    """Show the quiz of `topic` in the notebook (its choices shuffled by `seed`, random without)."""
    display(build(topic, client=client, where=where, rng=random.Random(seed)).box)


def build(
    topic: str | Topic,
    *,
    client: ClientSource | None = None,
    where: Path | None = None,
    rng: random.Random | None = None,
) -> QuizView:
    """The widget tree of `topic`'s quiz, choices shuffled by `rng`, wired to check and record."""
    topic = bank.load(topic) if isinstance(topic, str) else topic
    topic = bank.shuffled(topic, rng or random.Random())
    attempt = Attempt(topic, where)
    score = widgets.HTML(_score_html(attempt))
    views = [
        _question_view(question, number, len(topic)) for number, question in enumerate(topic.questions, 1)
    ]
    for view in views:
        view.button.on_click(lambda _button, view=view: _on_check(view, attempt, score, client))
    title = widgets.HTML(f"<h3>Quiz: {html.escape(topic.title)}</h3>")
    return QuizView(topic, attempt, views, score, widgets.VBox([title, *(v.box for v in views), score]))


def _question_view(question: Question, number: int, total: int) -> QuestionView:
    heading = widgets.HTML(f"<b>Question {number} of {total}</b>{markdown(question.text)}")
    given = _input(question)
    button = widgets.Button(description="Check", button_style="primary")
    feedback = widgets.HTML()
    inputs = given if isinstance(given, list) else [given]
    return QuestionView(question, given, button, feedback, widgets.VBox([heading, *inputs, button, feedback]))


def _input(question: Question) -> Input:
    labels = [choice_label(question, index) for index in range(len(question.choices))]
    if question.kind == "single":
        options = [(label, index) for index, label in enumerate(labels)]
        return widgets.RadioButtons(options=options, value=None, layout=_WIDE)
    if question.kind == "several":
        return [widgets.Checkbox(description=label, indent=False, layout=_WIDE) for label in labels]
    return widgets.Text(placeholder="Your answer", layout=widgets.Layout(width="50%"))


def _on_check(view: QuestionView, attempt: Attempt, score: widgets.HTML, client: ClientSource | None) -> None:
    outcome = check(view.question, view.response(), client=client)
    view.feedback.value = _feedback_html(outcome, view.question)
    if outcome.checked:
        view.lock()
        attempt.answer(view.question.id, outcome.correct)
        score.value = _score_html(attempt)


def _feedback_html(outcome: Outcome, question: Question) -> str:
    message = html.escape(outcome.message).replace("\n", "<br>")
    if not outcome.checked:
        return f"<p style='color:#b36b00'>{message}</p>"
    mark, color = ("✓", "green") if outcome.correct else ("✗", "#c00")
    cleanup = f"<p>When you are done, clean up: <code>{html.escape(outcome.cleanup)}</code></p>"
    reread = f"<p>Reread: {html.escape(question.reread)}</p>"
    return (
        f"<p style='color:{color}'><b>{mark} {message}</b></p>"
        f"{markdown(outcome.explanation)}{cleanup if outcome.cleanup else ''}"
        f"{reread if question.reread and not outcome.correct else ''}"
    )


def _score_html(attempt: Attempt) -> str:
    return f"<p><b>Score: {attempt.score}</b> (your progress is saved as you answer)</p>"
