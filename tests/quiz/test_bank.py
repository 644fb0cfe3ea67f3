"""The quiz bank: every shipped topic file loads, validates and teaches; broken files are named."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.quiz import bank
from grader.quiz.answers import canonical, check
from grader.quiz.bank import BANK, TOPICS, Question, QuizError, UnknownTopic

ALL = {topic: bank.load(topic) for topic in TOPICS}
QUESTIONS = [(topic, q) for topic, t in ALL.items() for q in t.questions]
STATIC = [(topic, q) for topic, q in QUESTIONS if not q.live]
SHORT = [(topic, q) for topic, q in STATIC if q.kind == "short"]


def _ids(pairs: list[tuple[str, Question]]) -> list[str]:
    return [f"{topic}/{q.id}" for topic, q in pairs]


def test_the_bank_holds_exactly_the_course_topics_in_order() -> None:
    assert {path.stem for path in BANK.glob("*.toml")} == set(TOPICS)
    assert [topic.id for topic in bank.load_all()] == list(TOPICS)


@pytest.mark.parametrize("topic", TOPICS)
def test_a_topic_has_at_least_eight_questions_of_all_three_kinds(topic: str) -> None:
    questions = ALL[topic].questions
    assert len(questions) >= 8
    assert set(Counter(q.kind for q in questions)) == {"single", "several", "short"}
    assert len({q.id for q in questions}) == len(questions), "question ids are not unique"


def test_at_least_two_topics_have_live_questions() -> None:
    live = {topic for topic, q in QUESTIONS if q.live}
    assert len(live) >= 2, live


@pytest.mark.parametrize(("topic", "question"), QUESTIONS, ids=_ids(QUESTIONS))
def test_a_question_is_well_formed(topic: str, question: Question) -> None:
    assert question.text and question.explanation
    if question.kind == "single":
        assert len(question.correct) == 1
    elif question.kind == "several":
        assert len(question.correct) >= 1
    if question.is_choice:
        assert len(question.choices) >= 2
        assert all(0 <= index < len(question.choices) for index in question.correct)
    elif question.live:
        assert question.live.setup
    else:
        assert question.accepted


@pytest.mark.parametrize(("topic", "question"), STATIC, ids=_ids(STATIC))
def test_the_right_answer_is_right(
    topic: str, question: Question, right_response: Callable[[Question], object]
) -> None:
    outcome = check(question, right_response(question))  # type: ignore[arg-type]
    assert outcome.correct, outcome
    assert outcome.explanation == question.explanation


@pytest.mark.parametrize(("topic", "question"), SHORT, ids=_ids(SHORT))
def test_every_accepted_short_answer_matches_itself_after_normalising(topic: str, question: Question) -> None:
    for answer in question.accepted:
        for typed in (answer, f"  {answer}  ", f"`{answer}`", answer.replace(" ", "   "), f"$ {answer}"):
            assert check(question, typed).correct, typed
        if question.pattern:
            flags = re.IGNORECASE if question.ignore_case else 0
            assert re.fullmatch(question.pattern, canonical(question, answer), flags), answer


@pytest.mark.parametrize(("topic", "question"), QUESTIONS, ids=_ids(QUESTIONS))
def test_every_question_says_what_to_reread(topic: str, question: Question) -> None:
    assert question.section and question.notebook and question.notebook == ALL[topic].notebook
    assert question.reread.startswith(f"{question.notebook}/{topic}.ipynb, section ")
    assert (bank.NOTEBOOKS / bank.notebook_file(question.notebook)).is_file()


def test_harmless_flags_are_in_no_accepted_answer() -> None:
    """A flag listed as harmless is dropped before comparing: an accepted answer must not need it."""
    for _topic, question in SHORT:
        for flag in question.harmless:
            assert all(flag not in answer.split() for answer in question.accepted), (question.id, flag)


def test_expose_with_a_host_port_is_accepted_with_the_host_part_ignored() -> None:
    """`EXPOSE 8080:8080` builds, with a warning from recent versions' build checks only (Docker 26 has
    none); the question once called it invalid."""
    expose = next(q for q in ALL["dockerfiles"].questions if q.id == "expose-syntax")
    right = expose.choices[next(iter(expose.correct))]
    assert "accepts it but drops the host part" in right
    assert "Docker 26 says nothing" in expose.explanation
    assert not any("not valid" in choice or "invalid" in choice for choice in expose.choices)


def test_an_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(UnknownTopic) as raised:
        bank.load("kubernetes")
    assert "'kubernetes'" in str(raised.value)
    for topic in TOPICS:
        assert topic in str(raised.value)


GOOD = """
id = "ports"
title = "Ports"

[[questions]]
id = "one"
kind = "single"
text = "Which?"
choices = ["a", "b"]
correct = ["a"]
explanation = "Because."

[[questions]]
id = "two"
kind = "short"
text = "Port?"
accepted = ["5000"]
explanation = "Because."
"""


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ('correct = ["a"]', 'correct = ["a", "b"]'),
            "question one: a single-choice question has exactly one",
        ),
        (
            ('correct = ["a"]', 'correct = ["c"]'),
            "question one: correct must list letters of the choices (a-b)",
        ),
        (('id = "two"', 'id = "one"'), "question one: id is used twice"),
        (
            ('kind = "short"', 'kind = "essay"'),
            "question two: kind 'essay' is not one of single, several, short",
        ),
        (('accepted = ["5000"]', "accepted = []"), "question two: accepted must list at least one answer"),
        (('accepted = ["5000"]', 'accepted = ["5000"]\npattern = "("'), "question two: pattern '(' is not"),
        (('accepted = ["5000"]', 'accepted = ["5000"]\nchoices = ["x", "y"]'), "question two: key 'choices'"),
        (('text = "Port?"', 'text = " "'), "question two: text is missing"),
        (('id = "ports"', 'id = "networks"'), "top level: id 'networks' should be the file's name, 'ports'"),
        (
            ('accepted = ["5000"]', '[questions.live]\nprobe = "guess"\nsetup = "run"'),
            "question two: live: probe 'guess' is not one of",
        ),
        (
            (
                'accepted = ["5000"]',
                '[questions.live]\nprobe = "layer_count"\nsetup = "x"\nargs = {name = "a"}',
            ),
            "question two: live: args {'name': 'a'} do not fit probe layer_count",
        ),
        (
            (
                'accepted = ["5000"]',
                'accepted = ["5000"]\n[questions.live]\nprobe = "layer_count"\nsetup = "x"\n'
                'args = {image = "busybox"}',
            ),
            "question two: a live question's answer comes from the engine",
        ),
        (
            (
                'accepted = ["5000"]',
                '[questions.live]\nprobe = "layer_count"\nsetup = "x"\nargs = {image = 1}',
            ),
            "question two: live: args must be a table of texts, not {'image': 1}",
        ),
        (
            ('correct = ["a"]', 'correct = ["a"]\nordered = "yes"'),
            "question one: ordered must be true or false",
        ),
        (
            ('accepted = ["5000"]', 'accepted = ["5000"]\nordered = true'),
            "question two: key 'ordered' does not",
        ),
        (
            ('accepted = ["5000"]', 'accepted = ["5000"]\nform = "number"'),
            "question two: form 'number' is not",
        ),
        (
            ('accepted = ["5000"]', 'accepted = ["5000"]\nform = "port"\nharmless = ["--rm"]'),
            'question two: harmless flags only go with form = "command"',
        ),
        (
            ('accepted = ["5000"]', 'accepted = ["5000"]\nform = "command"\nharmless = ["--pull=always"]'),
            "question two: harmless must list flags without values",
        ),
        (
            ('accepted = ["5000"]', 'accepted = ["5000"]\nsection = "Quiz"'),
            "question two: section needs a top-level notebook to be in",
        ),
        (('title = "Ports"', 'title = "Ports"\nnotebook = "ports"'), "top level: notebook 'ports' should be"),
        (
            ('title = "Ports"', 'title = "Ports"\nnotebook = "99-ports"'),
            "top level: notebook '99-ports': there is no readable",
        ),
        (
            (
                'title = "Ports"\n',
                'title = "Ports"\nnotebook = "03-ports"\n[[questions]]\nsection = "Nowhere"\n',
            ),
            "question #1: section 'Nowhere' is not a heading of notebook '03-ports'",
        ),
    ],
)
def test_a_broken_file_names_the_file_and_the_question(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    path = tmp_path / "ports.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(QuizError) as raised:
        bank.load_file(path)
    assert f"ports.toml, {problem}" in str(raised.value)


def test_a_question_that_is_not_a_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ports.toml"
    path.write_text('id = "ports"\ntitle = "Ports"\nquestions = [1]\n')
    with pytest.raises(QuizError, match=r"ports\.toml, question #1: must be a \[\[questions\]\] table"):
        bank.load_file(path)


def test_a_section_must_be_a_heading_of_the_notebook(tmp_path: Path) -> None:
    good = GOOD.replace('title = "Ports"', 'title = "Ports"\nnotebook = "03-ports"')
    (tmp_path / "ports.toml").write_text(
        good.replace('accepted = ["5000"]', 'accepted = ["5000"]\nsection = "UDP: `-p HOST:CONTAINER/udp`"')
    )
    question = bank.load("ports", tmp_path).questions[1]
    assert question.reread == '03-ports/ports.ipynb, section "UDP: -p HOST:CONTAINER/udp"'


def test_without_the_course_notebooks_sections_are_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed without notebooks/source, the bank still loads; the shipped files were checked here."""
    monkeypatch.setattr(bank, "NOTEBOOKS", tmp_path / "no-notebooks")
    good = GOOD.replace('title = "Ports"', 'title = "Ports"\nnotebook = "03-ports"')
    (tmp_path / "ports.toml").write_text(
        good.replace('accepted = ["5000"]', 'accepted = ["5000"]\nsection = "X"')
    )
    assert bank.load("ports", tmp_path).questions[1].section == "X"


def test_a_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "ports.toml").write_text(GOOD)
    topic = bank.load("ports", tmp_path)
    assert [(q.id, q.kind) for q in topic.questions] == [("one", "single"), ("two", "short")]
    assert topic.questions[0].correct == frozenset({0})


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ports.toml"
    path.write_text("id = ")
    with pytest.raises(QuizError, match=r"^ports\.toml: "):
        bank.load_file(path)


def test_an_unknown_topic_suggests_the_closest_one() -> None:
    with pytest.raises(bank.UnknownTopic, match="Did you mean 'networks'"):
        bank.load("netwroks")
