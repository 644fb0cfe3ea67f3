"""The quiz in a notebook: the widget tree of a topic, answered by setting values and clicking Check."""

from __future__ import annotations

import random
import re

import docker
import ipywidgets as widgets
import pytest

from grader.host.engine import EngineUnavailable
from grader.quiz import bank, progress
from grader.quiz import widgets as notebook
from grader.quiz.widgets import QuestionView, QuizView, build, markdown

NETWORKS = bank.load("networks")


@pytest.fixture
def view() -> QuizView:
    return build("networks", rng=random.Random(3))


def _first(view: QuizView, kind: str, live: bool = False) -> QuestionView:
    return next(v for v in view.questions if v.question.kind == kind and bool(v.question.live) == live)


def test_every_question_has_its_inputs_a_check_button_and_an_empty_feedback(view: QuizView) -> None:
    assert len(view.questions) == len(NETWORKS)
    kinds = {v.question.kind: type(v.input) for v in view.questions}
    assert kinds == {"single": widgets.RadioButtons, "several": list, "short": widgets.Text}
    for question in view.questions:
        assert question.button.description == "Check"
        assert question.feedback.value == ""
        assert question.box in view.box.children


def test_a_right_single_choice_shows_the_explanation_and_is_recorded(view: QuizView) -> None:
    single = _first(view, "single")
    assert isinstance(single.input, widgets.RadioButtons)
    single.input.value = next(iter(single.question.correct))
    single.button.click()
    assert "✓ Right." in single.feedback.value
    assert markdown(single.question.explanation) in single.feedback.value
    assert single.input.disabled and single.button.disabled
    mine = progress.load()["networks"]
    assert (mine.last.score, mine.last.answered, mine.last.total) == (1, 1, len(NETWORKS))
    assert f"Score: 1/{len(NETWORKS)}" in view.score.value


def test_a_wrong_several_answers_shows_the_right_letters_and_the_explanation(view: QuizView) -> None:
    several = _first(view, "several")
    assert isinstance(several.input, list)
    several.input[next(iter(several.question.correct))].value = True  # one right letter is not enough
    several.button.click()
    assert "✗ Not quite. The answer: " in several.feedback.value
    assert markdown(several.question.explanation) in several.feedback.value
    assert progress.load()["networks"].last.score == 0


def test_a_short_answer_is_typed(view: QuizView) -> None:
    short = _first(view, "short")
    assert isinstance(short.input, widgets.Text)
    short.input.value = f"  {short.question.accepted[0]} "
    short.button.click()
    assert "✓ Right." in short.feedback.value


def test_checking_nothing_asks_for_an_answer_and_records_nothing(view: QuizView) -> None:
    single = _first(view, "single")
    single.button.click()
    assert "Pick an answer first." in single.feedback.value
    assert not single.button.disabled
    assert progress.load() == {}


def test_a_live_question_without_the_engine_says_what_to_run() -> None:
    def unavailable() -> docker.DockerClient:
        raise EngineUnavailable("The engine does not answer.")

    view = build(NETWORKS, client=unavailable)
    live = _first(view, "short", live=True)
    assert isinstance(live.input, widgets.Text) and live.question.live
    live.input.value = "172.18.0.2"
    live.button.click()
    assert "The engine does not answer. First run:<br>" in live.feedback.value
    assert "quiz-net" in live.feedback.value
    assert not live.input.disabled
    assert progress.load() == {}


def test_markdown_shows_html_instead_of_obeying_it() -> None:
    assert markdown("run `docker logs <name>`") == "<p>run <code>docker logs &lt;name&gt;</code></p>\n"


def test_quiz_displays_the_whole_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr(notebook, "display", shown.append)
    notebook.quiz("networks")
    assert len(shown) == 1 and isinstance(shown[0], widgets.VBox)
    assert "Quiz: " + NETWORKS.title in shown[0].children[0].value


def _labels(view: QuestionView) -> list[str]:
    if isinstance(view.input, widgets.RadioButtons):
        return [label for label, _index in view.input.options]
    return [box.description for box in view.input] if isinstance(view.input, list) else []


def test_the_choices_are_shuffled_by_the_rng_given() -> None:
    def order(seed: int) -> list[list[str]]:
        return [_labels(v) for v in build("networks", rng=random.Random(seed)).questions]

    assert order(1) == order(1)
    assert any(order(seed) != order(1) for seed in (2, 3, 4))
    plain = [[re.sub(r"^[a-z]\) ", "", label) for label in labels] for labels in order(1)]
    original = [[c.replace("`", "") for c in q.choices] for q in NETWORKS.questions]
    assert [sorted(p) for p in plain] == [sorted(o) for o in original]


def test_a_shuffled_right_answer_is_still_right(view: QuizView) -> None:
    for question in view.questions:
        if isinstance(question.input, widgets.RadioButtons):
            question.input.value = next(iter(question.question.correct))
        elif isinstance(question.input, list):
            for index in question.question.correct:
                question.input[index].value = True
        else:
            continue
        question.button.click()
        assert "✓ Right." in question.feedback.value, question.question.id


def test_a_miss_says_what_to_reread_and_which_picks_were_wrong(view: QuizView) -> None:
    several = _first(view, "several")
    assert isinstance(several.input, list)
    wrong = next(i for i in range(len(several.input)) if i not in several.question.correct)
    several.input[wrong].value = True
    several.button.click()
    assert "<br>Wrong picks: " in several.feedback.value and "<br>Missing: " in several.feedback.value
    assert f"Reread: {several.question.reread}" in several.feedback.value.replace("&quot;", '"')
    single = _first(view, "single")
    assert isinstance(single.input, widgets.RadioButtons)
    single.input.value = next(iter(single.question.correct))
    single.button.click()
    assert "Reread" not in single.feedback.value, "only after a miss"


@pytest.mark.parametrize("topic", bank.TOPICS)
def test_no_backticks_show_in_labels_or_questions(topic: str) -> None:
    """Markdown in questions is HTML; choice labels (plain text in widgets) lose their code marks."""
    for question in build(topic, rng=random.Random(0)).questions:
        assert all("`" not in label for label in _labels(question))
        heading = question.box.children[0]
        assert isinstance(heading, widgets.HTML) and "`" not in heading.value
