"""Checking an answer: choice sets, normalised short answers, live answers read from the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import docker
import pytest

from grader.host.engine import EngineUnavailable
from grader.quiz import live as probes
from grader.quiz.answers import canonical, check, normalise, right_answer
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
    assert check(several, {1}).message == (
        "Not quite. The answer: a, c\nWrong picks: b) two\nMissing: a) one; c) three"
    )


@pytest.mark.parametrize(
    ("picked", "lines"),
    [
        ({0}, ["Missing: c) three"]),
        ({0, 1, 2}, ["Wrong picks: b) two"]),
        ({0, 1}, ["Wrong picks: b) two", "Missing: c) three"]),
    ],
)
def test_a_several_answers_miss_says_which_picks_were_wrong_and_which_missing(
    question: Make, picked: set[int], lines: list[str]
) -> None:
    outcome = check(question("several", correct="ac"), picked)
    assert outcome.message.splitlines() == ["Not quite. The answer: a, c", *lines]


def test_a_single_choice_miss_names_only_the_answer(question: Make) -> None:
    assert "\n" not in check(question("single", correct="b"), {0}).message


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


@pytest.mark.parametrize("typed", ["5000", "5000/tcp", "5000/TCP", " 5000/tcp ", "`5000/tcp`"])
def test_a_port_answer_takes_tcp_the_default_protocol(question: Make, typed: str) -> None:
    assert check(question("short", accepted=("5000",), form="port"), typed).correct


@pytest.mark.parametrize("typed", ["5000/udp", "50000", "5000/tcp/tcp"])
def test_a_port_answer_still_tells_other_ports_and_protocols_apart(question: Make, typed: str) -> None:
    assert not check(question("short", accepted=("5000",), form="port"), typed).correct


def test_a_text_answer_is_not_a_port(question: Make) -> None:
    assert not check(question("short", accepted=("5000",)), "5000/tcp").correct


NAPPER = "docker run -d --name napper busybox sleep 300"


@pytest.mark.parametrize(
    "typed",
    [
        NAPPER,
        "docker run --rm -d --name napper busybox sleep 300",
        "docker run -d --name=napper busybox sleep 300",
        "docker run -d --name 'napper' busybox sleep 300",
        "$ docker  run -d --rm --name napper busybox sleep 300",
    ],
)
def test_a_command_answer_ignores_harmless_flags_quotes_and_equals_signs(question: Make, typed: str) -> None:
    napper = question("short", accepted=(NAPPER,), form="command", harmless=("--rm",))
    assert check(napper, typed).correct


@pytest.mark.parametrize(
    "typed",
    [
        "docker run -d --name napper --privileged busybox sleep 300",
        "docker run --name napper busybox sleep 300",
        "docker run -d --name napper busybox sleep 30",
        "docker run -d --name napper busybox 'sleep 300'",
        "docker run -d --name 'napper busybox sleep 300",
    ],
)
def test_a_command_answer_still_refuses_what_changes_it(question: Make, typed: str) -> None:
    napper = question("short", accepted=(NAPPER,), form="command", harmless=("--rm",))
    assert not check(napper, typed).correct


def test_without_harmless_flags_every_flag_counts(question: Make) -> None:
    napper = question("short", accepted=(NAPPER,), form="command")
    assert not check(napper, "docker run --rm -d --name napper busybox sleep 300").correct


@pytest.mark.parametrize(
    ("form", "harmless", "typed", "expected"),
    [
        ("text", (), "  docker   ps  -a ", "docker ps -a"),
        ("port", (), "8080/Tcp", "8080"),
        ("port", (), "8080/udp", "8080/udp"),
        ("command", ("--rm",), "docker run --rm --name=web -p 80 nginx", "docker run --name web -p 80 nginx"),
        ("command", (), "docker run -e A=b img", "docker run -e A=b img"),
    ],
)
def test_canonical_forms(
    question: Make, form: str, harmless: tuple[str, ...], typed: str, expected: str
) -> None:
    assert canonical(question("short", accepted=("x",), form=form, harmless=harmless), typed) == expected


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


def test_a_live_port_answer_takes_tcp_too(live: Question) -> None:
    assert check(replace(live, form="port"), "49153/tcp", client=_no_client).correct


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
