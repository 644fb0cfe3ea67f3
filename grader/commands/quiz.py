"""`grader quiz`: the self-study quizzes in the terminal, the topics, and the progress so far."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from grader.quiz import bank, progress, terminal


def main(*, topic: str | None, list_topics: bool = False, show_progress: bool = False) -> int:
    """Take `topic`'s quiz, or list the topics, or show the progress; the exit code."""
    console = Console()
    try:
        if list_topics:
            console.print(_topics_table(bank.load_all()))
        elif show_progress:
            console.print(_progress_table(bank.load_all(), progress.load()))
        elif topic is not None:
            terminal.run(bank.load(topic), console=console)
    except bank.QuizError as error:
        Console(stderr=True).print(str(error), style="red", markup=False)
        return 2
    return 0


def _topics_table(topics: list[bank.Topic]) -> Table:
    table = Table("Topic", "Title", "Questions", title="Quizzes: grader quiz TOPIC")
    for topic in topics:
        table.add_row(topic.id, topic.title, str(len(topic)))
    return table


def _progress_table(topics: list[bank.Topic], done: dict[str, progress.TopicProgress]) -> Table:
    table = Table(
        "Topic", "Questions", "Best score", "Last attempt", title=f"Quiz progress ({progress.path()})"
    )
    for topic in topics:
        mine = done.get(topic.id)
        best, last = (str(mine.best), f"{mine.last} on {mine.last.when}") if mine else ("-", "not taken yet")
        table.add_row(topic.id, str(len(topic)), best, last)
    return table
