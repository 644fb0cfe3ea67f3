"""`grader quiz` in a terminal, driven through click with scripted answers."""

from __future__ import annotations

import json
import random
import re
import signal
from collections.abc import Callable, Iterator

import click
import docker
import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.host.engine import EngineUnavailable
from grader.quiz import answers, bank, progress
from grader.quiz.bank import LETTERS, TOPICS, Question, Topic

RUN_FLOW = bank.load("run-flow")
SEED = "7"


def shown(topic: Topic, seed: str = SEED) -> Topic:
    """`topic` as `grader quiz --seed SEED` shows it: its choices shuffled the same way."""
    return bank.shuffled(topic, random.Random(int(seed)))


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    """`grader` turns SIGTERM into Ctrl-C for its own process; give the test process its handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def grader(*args: str, typed: list[str] | None = None, columns: int = 200) -> Result:
    text = "".join(f"{line}\n" for line in typed or [])
    env = {"COLUMNS": str(columns), "NO_COLOR": "1"}
    return CliRunner().invoke(main, list(args), input=text, env=env)


def quiz(topic: str, typed: list[str], *, columns: int = 200) -> Result:
    """`grader quiz TOPIC --seed SEED` with these lines typed."""
    return grader("quiz", topic, "--seed", SEED, typed=typed, columns=columns)


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
    done = quiz("run-flow", [typed_right(q) for q in shown(RUN_FLOW).questions])
    assert done.exit_code == 0, done.output
    total = len(RUN_FLOW)
    assert f"Your score on {RUN_FLOW.title}: {total}/{total}" in done.output
    assert done.output.count("✓ Right.") == total
    assert "To review" not in done.output
    mine = progress.load()["run-flow"]
    assert (mine.best.score, mine.last.score, mine.last.answered) == (total, total, total)


def test_a_wrong_answer_shows_the_right_one_and_the_explanation() -> None:
    first = shown(RUN_FLOW).questions[0]
    wrong = next(LETTERS[i] for i in range(len(first.choices)) if i not in first.correct)
    done = quiz("run-flow", [wrong] + [""] * (len(RUN_FLOW) - 1))
    assert done.exit_code == 0, done.output
    assert "✗ Not quite. The answer: " + answers.right_answer(first) in _flat(done.output)
    assert _flat(first.explanation) in _flat(done.output)
    assert f"0/{len(RUN_FLOW)} ({len(RUN_FLOW) - 1} unanswered)" in done.output
    assert progress.load()["run-flow"].last.answered == 1


def test_a_letter_that_is_not_a_choice_asks_again(typed_right: Callable[[Question], str]) -> None:
    first = shown(RUN_FLOW).questions[0]
    done = quiz("run-flow", ["z", "a b", typed_right(first)] + [""] * (len(RUN_FLOW) - 1))
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
    done = quiz("ports", [""] * at + ["49153", ""] + [""] * (len(ports) - at - 1))
    assert done.exit_code == 0, done.output
    assert f"The engine does not answer. First run:\n{live.setup}\nthen answer again." in done.output
    assert "Traceback" not in done.output
    assert "ports" not in progress.load(), "nothing was answered"


def test_progress_lists_every_topic_with_its_scores(typed_right: Callable[[Question], str]) -> None:
    quiz("run-flow", [typed_right(q) for q in shown(RUN_FLOW).questions])
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


def test_what_the_engine_answered_is_shown_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = bank.load("ports")
    at = next(n for n, q in enumerate(ports.questions) if q.live)
    live = ports.questions[at].live
    assert live is not None
    hostile = "80\x1b]0;pwned\x07\x1b[2J\r✓ Right. \x9b2J"
    monkeypatch.setitem(answers.PROBES, live.probe, lambda client, **args: hostile)
    monkeypatch.setattr(answers, "host_client", lambda: None)
    done = quiz("ports", [""] * at + ["1", ""] + [""] * (len(ports) - at - 1))
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.output and "\x9b" not in done.output and "\r" not in done.output
    assert "✗ Not quite. The answer: 80␛]0;pwned␇␛[2J␍✓ Right. \\x9b2J (your engine's answer)" in done.output


# Quitting: q at any prompt, Ctrl-C and the end of the input stop the quiz and record nothing.


@pytest.mark.parametrize("quit_with", ["q", "Q", " q "])
def test_q_quits_at_any_prompt_with_130_and_records_nothing(
    quit_with: str, typed_right: Callable[[Question], str]
) -> None:
    first = shown(RUN_FLOW).questions[0]
    done = quiz("run-flow", ["z", typed_right(first), quit_with])  # q after asking again, and answering
    assert done.exit_code == 130, done.output
    assert "Quiz stopped: nothing was recorded." in done.output
    assert "Question 3 of" not in done.output and "Your score" not in done.output
    assert progress.load() == {}


def test_q_at_a_short_answer_prompt_quits_too() -> None:
    at = next(n for n, q in enumerate(RUN_FLOW.questions) if q.kind == "short")
    done = quiz("run-flow", [""] * at + ["q"])
    assert done.exit_code == 130, done.output
    assert progress.load() == {}


@pytest.mark.parametrize("interrupt", [click.Abort, KeyboardInterrupt])
def test_ctrl_c_records_nothing(
    interrupt: type[BaseException], monkeypatch: pytest.MonkeyPatch, typed_right: Callable[[Question], str]
) -> None:
    """click's prompt turns Ctrl-C into Abort; a Ctrl-C elsewhere (a slow engine) is KeyboardInterrupt."""
    answers_typed = iter([typed_right(q) for q in shown(RUN_FLOW).questions[:3]])

    def prompt(*args: object, **kwargs: object) -> str:
        for answer in answers_typed:
            return answer
        raise interrupt

    monkeypatch.setattr(click, "prompt", prompt)
    done = quiz("run-flow", [])
    assert done.exit_code == 130, done.output
    assert done.output.count("✓ Right.") == 3
    assert progress.load() == {}, "three right answers, then Ctrl-C: not a 3/9 attempt"


def test_the_end_of_the_input_stops_like_ctrl_c() -> None:
    done = quiz("run-flow", [""])
    assert done.exit_code == 130, done.output
    assert progress.load() == {}


def test_skipping_every_question_records_nothing() -> None:
    done = quiz("run-flow", [""] * len(RUN_FLOW))
    assert done.exit_code == 0, done.output
    assert "Nothing answered, so nothing was recorded." in done.output
    assert progress.load() == {}


# The review at the end.


def test_missed_and_skipped_questions_are_reviewed_with_what_to_reread(
    typed_right: Callable[[Question], str],
) -> None:
    questions = shown(RUN_FLOW).questions
    first = questions[0]
    wrong = next(LETTERS[i] for i in range(len(first.choices)) if i not in first.correct)
    typed = [wrong, "", *(typed_right(q) for q in questions[2:])]
    done = quiz("run-flow", typed)
    assert done.exit_code == 0, done.output
    review = _flat(done.output.split("To review: 2 questions missed or skipped", 1)[1])
    assert review.index("Question 1 (missed)") < review.index("Question 2 (skipped)")
    assert "Your score" in review and "Question 3 (" not in review
    for question in questions[:2]:
        assert _flat(question.explanation) in review
        assert f"Reread: {question.reread}" in review
    assert "The answer: " + _flat(answers.right_answer(questions[1])) in review
    assert questions[0].reread.startswith("01-run-flow/run-flow.ipynb, section ")


def test_a_skipped_live_question_is_reviewed_with_what_to_run() -> None:
    ports = bank.load("ports")
    live = next(q for q in ports.questions if q.live)
    assert live.live is not None
    done = quiz("ports", [""] * len(ports))
    review = _flat(done.output.split("To review:", 1)[1])
    assert f"Your engine knows the answer; first run: {live.live.setup}" in review


def test_a_several_answers_miss_names_the_wrong_and_the_missing_picks() -> None:
    questions = shown(RUN_FLOW).questions
    at, several = next((n, q) for n, q in enumerate(questions) if q.kind == "several")
    wrong = next(i for i in range(len(several.choices)) if i not in several.correct)
    done = quiz("run-flow", [""] * at + [LETTERS[wrong]] + [""] * (len(questions) - at - 1))
    assert done.exit_code == 0, done.output
    output = _flat(done.output)
    assert f"Wrong picks: {answers.choice_label(several, wrong)}" in output
    missing = "; ".join(answers.choice_label(several, i) for i in sorted(several.correct))
    assert f"Missing: {missing}" in output


# Shuffled choices, the seed, and how the choices look.


def test_the_seed_decides_the_order_of_the_choices() -> None:
    def first_question(seed: str) -> str:
        output = grader("quiz", "run-flow", "--seed", seed, typed=["q"]).output
        return output.split("Your answer", 1)[0]

    assert first_question("1") == first_question("1")
    assert any(first_question(seed) != first_question("1") for seed in ("2", "3", "4"))
    assert first_question(SEED).count(")") >= len(shown(RUN_FLOW).questions[0].choices)


def test_shuffling_keeps_ordered_questions_and_moves_the_right_answer_along() -> None:
    questions = [q for topic in bank.load_all() for q in topic.questions if q.is_choice]
    rng = random.Random(1)
    moved = 0
    for question in questions:
        mixed = bank.shuffle(question, rng)
        pairs = {(c, i in question.correct) for i, c in enumerate(question.choices)}
        assert {(c, i in mixed.correct) for i, c in enumerate(mixed.choices)} == pairs
        if question.ordered:
            assert mixed == question
        moved += mixed.choices != question.choices
    assert moved > len(questions) // 2
    assert any(q.ordered for q in questions), "storage/overlay-dirs keeps the overlay's order"


def test_wrapped_choices_keep_their_indent() -> None:
    dockerfiles = bank.load("dockerfiles")
    done = quiz("dockerfiles", ["q"], columns=50)
    lines = done.output.split("Question 1 of", 1)[1].split("Your answer", 1)[0].splitlines()
    choice_lines = [line for line in lines if re.match(r"  [a-z]\) ", line)]
    continued = [line for line in lines if line.startswith("     ") and line.strip()]
    assert len(choice_lines) == len(dockerfiles.questions[0].choices)
    assert continued, "a long choice wraps at 50 columns"
    assert all(re.match(r"     \S", line) for line in continued), lines


def test_markdown_is_rendered_not_shown_as_backticks() -> None:
    for topic in ("ports", "dockerfiles"):
        done = quiz(topic, [""] * len(bank.load(topic)))
        assert done.exit_code == 0, done.output
        assert "`" not in done.output, topic


# Short answers: harmless variants.


def _short_at(topic: Topic, question_id: str) -> int:
    return next(n for n, q in enumerate(topic.questions) if q.id == question_id)


@pytest.mark.parametrize(
    ("topic", "question_id", "typed"),
    [
        ("registries", "registry-port", "5000/tcp"),
        ("registries", "registry-port", " 5000/TCP "),
        ("containers", "detached-named", "docker run --rm -d --name=napper busybox sleep 300"),
        ("volumes", "volumes-from", "--volumes-from=vol1"),
        ("storage", "history", "docker history --no-trunc busybox"),
    ],
)
def test_harmless_variants_of_a_short_answer_are_right(topic: str, question_id: str, typed: str) -> None:
    asked = bank.load(topic)
    at = _short_at(asked, question_id)
    done = quiz(topic, [""] * at + [typed] + [""] * (len(asked) - at - 1))
    assert done.exit_code == 0, done.output
    assert "✓ Right." in done.output
    assert progress.load()[topic].last.score == 1


# --list and --progress, for people and as JSON.


def test_list_marks_the_topics_that_need_a_running_engine() -> None:
    done = grader("quiz", "--list")
    for topic in bank.load_all():
        row = next(line for line in done.output.splitlines() if line.startswith(f"│ {topic.id} "))
        if topic.live_questions:
            assert f"needed for {topic.live_questions} question" in row
        else:
            assert "needed" not in row
    assert "Engine: questions answered from your own running Docker engine." in _flat(done.output)


def test_list_as_json() -> None:
    done = grader("quiz", "--list", "--json")
    assert done.exit_code == 0, done.output
    topics = json.loads(done.output)["topics"]
    assert [t["id"] for t in topics] == list(TOPICS)
    ports = next(t for t in topics if t["id"] == "ports")
    assert ports["needs_engine"] and ports["live_questions"] == bank.load("ports").live_questions
    assert ports["notebook"] == "03-ports/ports.ipynb"
    assert not next(t for t in topics if t["id"] == "run-flow")["needs_engine"]


def test_progress_as_json(typed_right: Callable[[Question], str]) -> None:
    quiz("run-flow", [typed_right(q) for q in shown(RUN_FLOW).questions])
    done = grader("quiz", "--progress", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["path"] == str(progress.path())
    mine = {t["id"]: t for t in data["topics"]}
    total = len(RUN_FLOW)
    assert mine["run-flow"]["best"]["score"] == total and mine["run-flow"]["last"]["answered"] == total
    assert mine["ports"]["best"] is None and mine["ports"]["last"] is None


def test_json_goes_with_list_or_progress_only() -> None:
    done = grader("quiz", "ports", "--json")
    assert done.exit_code == 2
    assert "--json goes with --list or --progress." in done.output
