"""Assignment files: exercises, weights, due date, and clear messages when they are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import assignment
from grader.assignment import AssignmentError, Item

KNOWN = {"dockerfiles.hello", "dockerfiles.webserver", "tiny.echo"}


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assignment.toml"
    path.write_text(text)
    return path


def test_a_file_gives_name_due_date_exercises_and_weights(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        'name = "Week 3"\ndue = 2026-12-01T23:59:00Z\n'
        '[[exercises]]\nid = "dockerfiles.hello"\nweight = 2\n'
        '[[exercises]]\nid = "tiny.echo"\n',
    )
    loaded = assignment.load(path, KNOWN)
    assert loaded.name == "Week 3"
    assert loaded.due == "2026-12-01T23:59:00+00:00"
    assert loaded.items == (Item("dockerfiles.hello", 2.0), Item("tiny.echo", None))
    assert loaded.exercise_ids == ["dockerfiles.hello", "tiny.echo"]
    assert loaded.weights == {"dockerfiles.hello": 2.0, "tiny.echo": None}


def test_the_due_date_is_optional_and_may_be_a_string() -> None:
    data = {"name": "w", "exercises": [{"id": "tiny.echo"}]}
    assert assignment.parse(data, KNOWN).due == ""
    assert assignment.parse({**data, "due": "2026-12-01"}, KNOWN).due == "2026-12-01T00:00:00"


def test_an_unknown_exercise_is_named_with_the_known_ones(tmp_path: Path) -> None:
    path = _file(tmp_path, 'name = "w"\n[[exercises]]\nid = "dockerfiles.helo"\n')
    with pytest.raises(AssignmentError) as raised:
        assignment.load(path, KNOWN)
    message = str(raised.value)
    assert str(path) in message
    assert "there is no exercise 'dockerfiles.helo'" in message
    assert "Known exercises: dockerfiles.hello, dockerfiles.webserver, tiny.echo." in message


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"exercises": [{"id": "tiny.echo"}]}, "give the assignment a name"),
        ({"name": "w"}, "list its exercises"),
        ({"name": "w", "exercises": []}, "list its exercises"),
        ({"name": "w", "exercises": [{"weight": 1}]}, 'needs an id = "..."'),
        ({"name": "w", "exercises": [{"id": "tiny.echo", "weight": 0}]}, "must be a number above 0"),
        ({"name": "w", "exercises": [{"id": "tiny.echo", "weight": "2"}]}, "must be a number above 0"),
        ({"name": "w", "exercises": [{"id": "tiny.echo", "weight": True}]}, "must be a number above 0"),
        ({"name": "w", "exercises": [{"id": "tiny.echo"}, {"id": "tiny.echo"}]}, "more than once: tiny.echo"),
        ({"name": "w", "due": "next friday", "exercises": [{"id": "tiny.echo"}]}, "due must be a date"),
    ],
)
def test_what_is_wrong_is_said(data: dict[str, object], says: str) -> None:
    with pytest.raises(AssignmentError, match=None) as raised:
        assignment.parse(data, KNOWN)
    assert says in str(raised.value)


def test_invalid_toml_and_a_missing_file_are_assignment_errors(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match="is not valid TOML"):
        assignment.load(_file(tmp_path, "name = \n"), KNOWN)
    with pytest.raises(AssignmentError, match="Cannot read the assignment file"):
        assignment.load(tmp_path / "nowhere.toml", KNOWN)


def test_an_implicit_assignment_weighs_each_exercise_by_its_points() -> None:
    made = assignment.implicit("class", ["tiny.echo", "dockerfiles.hello"])
    assert made.weights == {"dockerfiles.hello": None, "tiny.echo": None}
    assert made.to_dict() == {"name": "class", "due": "", "exercises": made.weights}


def test_the_demo_assignment_lists_every_exercise_of_the_demo_class() -> None:
    from grader.commands.demo import ASSIGNMENT, SAMPLE_CLASS
    from grader.exercise import all_exercises

    loaded = assignment.load(ASSIGNMENT, {e.id for e in all_exercises()})
    handed_in = {folder.name for folder in SAMPLE_CLASS.glob("*/*") if folder.is_dir()}
    assert set(loaded.exercise_ids) == handed_in
