"""Assignment files: exercises, weights, due date, and clear messages when they are wrong."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from grader.batch import assignment
from grader.batch.assignment import AssignmentError, Item, LatePenalty

KNOWN = {"dockerfiles.hello", "dockerfiles.webserver", "tiny.echo"}
_W = {"name": "w", "exercises": [{"id": "tiny.echo"}]}


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
    assert assignment.parse({**data, "due": "2026-12-01"}, KNOWN).due == "2026-12-01T00:00:00+00:00", (
        "a date without an offset is in UTC"
    )


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
        ({**_W, "late_penalty": "10%"}, "late_penalty must be a percentage per day late"),
        ({**_W, "late_penalty": {"per_day": 10, "max": 150}}, "(numbers from 0 to 100)"),
        ({**_W, "late_penalty": {"per_day": 10, "most": 50}}, "late_penalty = { per_day = 10, max = 50 }"),
        ({**_W, "late_penalty": True}, "late_penalty must be"),
        ({**_W, "extensions": "ana"}, "give extensions as a table: [extensions]"),
        ({**_W, "extensions": {"ana": "soon"}}, "the extension of ana must be a date"),
        ({**_W, "release_hints": 3}, "release_hints must be a date"),
        ({**_W, "overrides": 3}, 'overrides names a file, e.g. overrides = "overrides.toml"'),
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
    assert made.to_dict() == {
        "name": "class",
        "due": "",
        "exercises": made.weights,
        "late_penalty": None,
        "extensions": {},
        "release_hints": "",
        "overrides": [],
    }


def test_late_penalty_extensions_release_and_overrides_are_read(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        'name = "w"\ndue = 2026-12-01T23:59:00Z\nlate_penalty = { per_day = 10, max = 50 }\n'
        'release_hints = 2026-12-08T00:00:00+01:00\noverrides = "fixes.toml"\n'
        "[extensions]\nana = 2026-12-03T23:59:00Z\nben = 2026-12-04\n"
        '[[exercises]]\nid = "tiny.echo"\n',
    )
    loaded = assignment.load(path, KNOWN)
    assert loaded.late_penalty == LatePenalty(10, 50)
    assert [loaded.late_penalty.percent(days) for days in (0, 1, 4, 9)] == [0, 10, 40, 50]
    assert loaded.extensions == {"ana": "2026-12-03T23:59:00+00:00", "ben": "2026-12-04T00:00:00+00:00"}
    assert loaded.due_for("ana") == "2026-12-03T23:59:00+00:00"
    assert loaded.due_for("chloe") == loaded.due
    assert loaded.release_hints == "2026-12-08T00:00:00+01:00"
    assert loaded.overrides_file == str(tmp_path / "fixes.toml"), "next to the assignment file"
    assert loaded.to_dict()["late_penalty"] == {"per_day": 10, "max": 50}


def test_a_late_penalty_may_be_a_number_per_day() -> None:
    assert assignment.parse({**_W, "late_penalty": 5}, KNOWN).late_penalty == LatePenalty(5, 100)


def test_hints_are_released_at_the_release_date_and_always_without_one() -> None:
    before = datetime.datetime(2026, 12, 7, 22, 59, tzinfo=datetime.timezone.utc)
    after = datetime.datetime(2026, 12, 7, 23, 0, tzinfo=datetime.timezone.utc)
    chosen = assignment.parse({**_W, "release_hints": "2026-12-08T00:00:00+01:00"}, KNOWN)
    assert (chosen.released(before), chosen.released(after)) == (False, True)
    assert assignment.parse(_W, KNOWN).released(after) is None, "no release date: as always"


def test_the_demo_assignment_lists_every_exercise_of_the_demo_class() -> None:
    from grader.commands.demo import ASSIGNMENT, SAMPLE_CLASS
    from grader.model.exercise import all_exercises

    loaded = assignment.load(ASSIGNMENT, {e.id for e in all_exercises()})
    handed_in = {folder.name for folder in SAMPLE_CLASS.glob("*/*") if folder.is_dir()}
    assert set(loaded.exercise_ids) == handed_in
