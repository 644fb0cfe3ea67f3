"""Checking an answer: choice sets, normalised short answers, live answers read from the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import docker
import pytest

from grader.engine import EngineUnavailable
from grader.quiz import live as probes
from grader.quiz.answers import check, normalise, right_answer
from grader.quiz.bank import Live, Question

Make = Callable[..., Question]


@pytest.mark.parametrize(
    ("typed", "ignore_case", "expected"),
    [
        ("  docker   ps  -a ", False, "docker ps -a"),
        ("`docker ps -a`", False, "docker ps -a"),
        ("$ docker ps -a", False, "docker ps -a"),
        ("# docker ps -a", False, "docker ps -a"),
        ("Docker PS -a", True, "docker ps -a"),
        ("Docker PS -a", False, "Docker PS -a"),
        ("\tWORKDIR\n", True, "workdir"),
    ],
)
def test_normalise(typed: str, ignore_case: bool, expected: str) -> None:
    assert normalise(typed, ignore_case=ignore_case) == expected
    assert normalise(expected, ignore_case=ignore_case) == expected


def test_a_single_choice_is_right_only_with_its_one_letter(question: Make) -> None:
    single = question("single", correct="b")
    assert check(single, {1}).correct
    wrong = check(single, {0})
    assert wrong.status == "incorrect"
    assert wrong.message == "Not quite. The answer: b) two"
    assert wrong.explanation == "Because."


def test_several_answers_need_every_right_one_and_no_other(question: Make) -> None:
    several = question("several", correct="ac")
    assert check(several, [0, 2]).correct
    assert not check(several, {0}).correct
    assert not check(several, {0, 1, 2}).correct
    assert check(several, {1}).message == "Not quite. The answer: a, c"


def test_choice_labels_drop_markdown(question: Make) -> None:
    assert right_answer(question("single", correct="a", choices=("`-p 80`", "b"))) == "a) -p 80"


def test_nothing_picked_or_typed_is_not_judged(question: Make) -> None:
    for asked, response in (
        (question("single", correct="a"), set()),
        (question("short", accepted=("x",)), "  "),
    ):
        outcome = check(asked, response)
        assert outcome.status == "unchecked"
        assert not outcome.checked and not outcome.correct
        assert outcome.message in ("Pick an answer first.", "Type an answer first.")


def test_short_answers_compare_after_normalising_and_keep_case_unless_told(question: Make) -> None:
    command = question("short", accepted=("docker run -p 80 web",))
    assert check(command, " docker  run -p 80 web").correct
    assert not check(command, "docker run -P 80 web").correct, "-P and -p are different options"
    word = question("short", accepted=("WORKDIR",), ignore_case=True)
    assert check(word, "workdir").correct


def test_a_pattern_accepts_other_spellings(question: Make) -> None:
    command = question("short", accepted=("docker ps -a",), pattern=r"docker (ps|container ls) (-a|--all)")
    assert check(command, "docker container ls --all").correct
    wrong = check(command, "docker ps")
    assert wrong.status == "incorrect"
    assert wrong.message == "Not quite. The answer: docker ps -a"


def test_the_wrong_kind_of_response_is_a_programming_error(question: Make) -> None:
    with pytest.raises(TypeError):
        check(question("single", correct="a"), "a")
    with pytest.raises(TypeError):
        check(question("short", accepted=("x",)), {0})


# Live questions, with a probe that needs no engine.

LIVE = Live(
    probe="answer", args={"name": "quiz-x"}, setup="docker run --name quiz-x ...", cleanup="docker rm quiz-x"
)


@pytest.fixture
def live(question: Make, monkeypatch: pytest.MonkeyPatch) -> Question:
    def answer(client: docker.DockerClient, name: str) -> str:
        if name != "quiz-x":
            raise probes.MissingState(f"There is no container {name} on your engine.")
        return "49153"

    monkeypatch.setitem(probes.PROBES, "answer", answer)
    return question("short", live=LIVE)


def _no_client() -> docker.DockerClient:
    return None  # type: ignore[return-value]  # the fake probe needs none


def test_a_live_answer_is_checked_against_the_probe(live: Question) -> None:
    right = check(live, " 49153 ", client=_no_client)
    assert right.correct
    assert right.cleanup == "docker rm quiz-x"
    wrong = check(live, "3000", client=_no_client)
    assert wrong.status == "incorrect"
    assert wrong.message == "Not quite. The answer: 49153 (your engine's answer)"
    assert wrong.explanation == "Because."


def test_missing_live_state_says_what_to_run(live: Question) -> None:
    elsewhere = replace(live, live=Live(probe="answer", args={"name": "gone"}, setup="run me"))
    outcome = check(elsewhere, "49153", client=_no_client)
    assert outcome.status == "unchecked"
    assert (
        outcome.message == "There is no container gone on your engine. First run:\nrun me\nthen answer again."
    )


def test_an_unavailable_engine_says_what_to_do(live: Question) -> None:
    def unavailable() -> docker.DockerClient:
        raise EngineUnavailable("Start it with `sudo dockerd`.")

    outcome = check(live, "49153", client=unavailable)
    assert outcome.status == "unchecked"
    assert outcome.message.startswith("Start it with `sudo dockerd`. First run:\ndocker run --name quiz-x")
