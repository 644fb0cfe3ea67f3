"""`grader quiz`: the self-study quizzes in the terminal, the topics, and the progress so far."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from grader.exit_codes import Exit
from grader.quiz import bank, progress, terminal


def main(
    *,
    topic: str | None,
    list_topics: bool = False,
    show_progress: bool = False,
    as_json: bool = False,
    seed: int | None = None,
) -> int:
    """Take `topic`'s quiz, or list the topics, or show the progress (JSON with `as_json`); the exit code."""
    console = Console()
    try:
        if list_topics:
            _show(console, as_json, _topics_json, _topics_table, bank.load_all())
        elif show_progress:
            _show(console, as_json, _progress_json, _progress_table, bank.load_all())
        elif topic is not None:
            terminal.run(bank.load(topic), console=console, rng=random.Random(seed))
    except bank.QuizError as error:
        Console(stderr=True).print(str(error), style="red", markup=False)
        return Exit.USAGE
    except terminal.Quit:
        console.print("\nQuiz stopped: nothing was recorded.", markup=False)
        return Exit.INTERRUPTED
    return Exit.OK


def _show(
    console: Console,
    as_json: bool,
    data: Callable[[list[bank.Topic]], dict[str, Any]],
    table: Callable[[list[bank.Topic]], Table],
    topics: list[bank.Topic],
) -> None:
    """Print `data(topics)` as JSON, or `table(topics)` for people."""
    if as_json:
        click.echo(json.dumps(data(topics), indent=2, ensure_ascii=False))
    else:
        console.print(table(topics))


def _topics_table(topics: list[bank.Topic]) -> Table:
    table = Table("Topic", "Title", "Questions", "Engine", title="Quizzes: grader quiz TOPIC")
    for topic in topics:
        live = topic.live_questions
        engine = f"needed for {live} question{'s' if live > 1 else ''}" if live else "-"
        table.add_row(topic.id, topic.title, str(len(topic)), engine)
    table.caption = "Engine: questions answered from your own running Docker engine."
    return table


def _topics_json(topics: list[bank.Topic]) -> dict[str, Any]:
    return {
        "topics": [
            {
                "id": topic.id,
                "title": topic.title,
                "questions": len(topic),
                "live_questions": topic.live_questions,
                "needs_engine": topic.live_questions > 0,
                "notebook": bank.notebook_file(topic.notebook) if topic.notebook else None,
            }
            for topic in topics
        ]
    }


def _progress_table(topics: list[bank.Topic]) -> Table:
    done = progress.load()
    table = Table(
        "Topic", "Questions", "Best score", "Last attempt", title=f"Quiz progress ({progress.path()})"
    )
    for topic in topics:
        mine = done.get(topic.id)
        best, last = (str(mine.best), f"{mine.last} on {mine.last.when}") if mine else ("-", "not taken yet")
        table.add_row(topic.id, str(len(topic)), best, last)
    return table


def _progress_json(topics: list[bank.Topic]) -> dict[str, Any]:
    done = progress.load()
    return {
        "path": str(progress.path()),
        "topics": [
            {
                "id": topic.id,
                "title": topic.title,
                "questions": len(topic),
                "best": _score_json(done[topic.id].best) if topic.id in done else None,
                "last": _score_json(done[topic.id].last) if topic.id in done else None,
            }
            for topic in topics
        ],
    }


def _score_json(score: progress.Score) -> dict[str, Any]:
    return {"score": score.score, "answered": score.answered, "total": score.total, "at": score.at}
