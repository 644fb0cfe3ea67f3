"""`grader quiz` in a terminal, driven through click with scripted answers."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterator

import docker
import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.engine import EngineUnavailable
from grader.quiz import answers, bank, progress
from grader.quiz.bank import LETTERS, TOPICS, Question

RUN_FLOW = bank.load("run-flow")


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    """`grader` turns SIGTERM into Ctrl-C for its own process; give the test process its handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def grader(*args: str, typed: list[str] | None = None) -> Result:
    text = "".join(f"{line}\n" for line in typed or [])
    return CliRunner().invoke(main, list(args), input=text, env={"COLUMNS": "200", "NO_COLOR": "1"})


def _flat(text: str) -> str:
    """Text without Markdown marks and line breaks, as the terminal shows it."""
    return " ".join(re.sub(r"[`*]", "", text).split())


@pytest.fixture
def typed_right(right_response: Callable[[Question], object]) -> Callable[[Question], str]:
    """What a student who knows the answer types."""

    def type_it(question: Question) -> str:
        response = right_response(question)
        return response if isinstance(response, str) else " ".join(LETTERS[i] for i in sorted(response))  # type: ignore[attr-defined]

    return type_it


def test_all_right_is_a_full_score_and_saved(typed_right: Callable[[Question], str]) -> None:
    done = grader("quiz", "run-flow", typed=[typed_right(q) for q in RUN_FLOW.questions])
    assert done.exit_code == 0, done.output
    total = len(RUN_FLOW)
    assert f"Your score on {RUN_FLOW.title}: {total}/{total}" in done.output
    assert done.output.count("✓ Right.") == total
    mine = progress.load()["run-flow"]
    assert (mine.best.score, mine.last.score, mine.last.answered) == (total, total, total)


def test_a_wrong_answer_shows_the_right_one_and_the_explanation() -> None:
    first = RUN_FLOW.questions[0]
    wrong = next(LETTERS[i] for i in range(len(first.choices)) if i not in first.correct)
    done = grader("quiz", "run-flow", typed=[wrong] + [""] * (len(RUN_FLOW) - 1))
    assert done.exit_code == 0, done.output
    assert "✗ Not quite. The answer: " + answers.right_answer(first) in _flat(done.output)
    assert _flat(first.explanation) in _flat(done.output)
    assert f"0/{len(RUN_FLOW)} ({len(RUN_FLOW) - 1} unanswered)" in done.output
    assert progress.load()["run-flow"].last.answered == 1


def test_a_letter_that_is_not_a_choice_asks_again(typed_right: Callable[[Question], str]) -> None:
    first = RUN_FLOW.questions[0]
    done = grader("quiz", "run-flow", typed=["z", "a b", typed_right(first)] + [""] * (len(RUN_FLOW) - 1))
    assert done.exit_code == 0, done.output
    assert f"Type letters from a to {LETTERS[len(first.choices) - 1]}." in done.output
    assert "Type one letter: this question has one answer." in done.output
    assert progress.load()["run-flow"].last.score == 1


def test_a_live_question_without_its_state_says_what_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> docker.DockerClient:
        raise EngineUnavailable("The engine does not answer.")

    monkeypatch.setattr(answers, "host_client", unavailable)
    ports = bank.load("ports")
    at = next(n for n, q in enumerate(ports.questions) if q.live)
    live = ports.questions[at].live
    assert live is not None
    done = grader("quiz", "ports", typed=[""] * at + ["49153", ""] + [""] * (len(ports) - at - 1))
    assert done.exit_code == 0, done.output
    assert f"The engine does not answer. First run:\n{live.setup}\nthen answer again." in done.output
    assert "Traceback" not in done.output
    assert "ports" not in progress.load(), "nothing was answered"


def test_progress_lists_every_topic_with_its_scores(typed_right: Callable[[Question], str]) -> None:
    grader("quiz", "run-flow", typed=[typed_right(q) for q in RUN_FLOW.questions])
    done = grader("quiz", "--progress")
    assert done.exit_code == 0, done.output
    total = len(RUN_FLOW)
    assert re.search(
        rf"run-flow\s+│\s+{total}\s+│\s+{total}/{total}\s+│\s+{total}/{total} on \d{{4}}-", done.output
    )
    assert re.search(r"orchestration\s+│\s+\d+\s+│\s+-\s+│\s+not taken yet", done.output)


def test_list_names_every_topic() -> None:
    done = grader("quiz", "--list")
    assert done.exit_code == 0, done.output
    for topic in TOPICS:
        assert topic in done.output


def test_an_unknown_topic_exits_2_naming_the_topics() -> None:
    done = grader("quiz", "docker-swarm")
    assert done.exit_code == 2
    assert "There is no quiz 'docker-swarm'" in _flat(done.stderr)
    assert "under-the-hood" in done.stderr


@pytest.mark.parametrize("args", [[], ["ports", "--list"], ["--list", "--progress"]])
def test_exactly_one_of_topic_list_and_progress(args: list[str]) -> None:
    done = grader("quiz", *args)
    assert done.exit_code == 2
    assert "Give a TOPIC, --list or --progress" in done.output
