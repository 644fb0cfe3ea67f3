"""`grader exercises`: the course's exercises, one line each, or as JSON."""

from __future__ import annotations

import json

from rich.table import Table

from grader.exit_codes import Exit
from grader.model.exercise import all_exercises
from grader.outputs.console import make as make_console


def main(*, as_json: bool = False) -> int:
    """Print the exercises: a table, or a JSON list of their id, title, topic and kind."""
    if as_json:
        keys = ("id", "title", "topic", "kind")
        print(json.dumps([{key: getattr(e, key) for key in keys} for e in all_exercises()], indent=2))
        return Exit.OK
    table = Table("Exercise", "Kind", "Title", title="Exercises")
    for exercise in all_exercises():
        table.add_row(exercise.id, exercise.kind, exercise.title)
    make_console().print(table)
    return Exit.OK
