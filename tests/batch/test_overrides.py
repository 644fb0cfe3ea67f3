"""Overrides files (TOML, CSV) and rosters: what they hold, and clear messages when they are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch import overrides
from grader.batch.assignment import AssignmentError
from grader.batch.overrides import Override

EXERCISES = ["dockerfiles.hello", "dockerfiles.webserver"]


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_gives_points_or_a_delta_and_a_comment(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "o.toml",
        '[[override]]\nstudent = "ana"\nexercise = "dockerfiles.hello"\npoints = 8\ncomment = "By hand."\n'
        '[[override]]\nstudent = "ben"\nexercise = "dockerfiles.webserver"\ndelta = -1.5\n',
    )
    assert overrides.load(path, EXERCISES) == (
        Override("ana", "dockerfiles.hello", 8.0, None, "By hand."),
        Override("ben", "dockerfiles.webserver", None, -1.5, ""),
    )


def test_a_csv_file_says_the_same_with_empty_cells_for_what_it_leaves_out(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "o.csv",
        'student,exercise,points,delta,comment\nana,dockerfiles.hello,8,,"By hand, twice."\n'
        "ben,dockerfiles.webserver,,+2,\n",
    )
    assert overrides.load(path, EXERCISES) == (
        Override("ana", "dockerfiles.hello", 8.0, None, "By hand, twice."),
        Override("ben", "dockerfiles.webserver", None, 2.0, ""),
    )


def test_an_override_applies_within_zero_and_the_maximum() -> None:
    assert Override("a", "e", points=8).apply(3, 10) == 8
    assert Override("a", "e", points=12).apply(3, 10) == 10
    assert Override("a", "e", delta=-5).apply(3, 10) == 0
    assert Override("a", "e", delta=2).apply(3, 10) == 5
    assert (Override("a", "e", points=8).change, Override("a", "e", delta=-1).change) == ("set to 8", "-1")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[override]]\nstudent = "ana"\npoints = 1\n', "name the student and the exercise"),
        ('[[override]]\nstudent = "ana"\nexercise = "nope"\npoints = 1\n', "'nope' is no exercise"),
        ('[[override]]\nstudent = "ana"\nexercise = "dockerfiles.hello"\n', "give either points"),
        (
            '[[override]]\nstudent = "ana"\nexercise = "dockerfiles.hello"\npoints = 1\ndelta = 1\n',
            "give either points",
        ),
        ('[[override]]\nstudent = "ana"\nexercise = "dockerfiles.hello"\npoints = "x"\n', "are numbers"),
        (
            '[[override]]\nstudent = "ana"\nexercise = "dockerfiles.hello"\npoints = -1\n',
            "cannot be negative",
        ),
        ("override = 3\n", "give each override as [[override]]"),
        ("override = [\n", "is not valid TOML"),
        (
            '[[override]]\nstudent = "a"\nexercise = "dockerfiles.hello"\npoints = 1\n' * 2,
            "overridden twice",
        ),
    ],
)
def test_what_is_wrong_in_an_overrides_file_is_said(tmp_path: Path, text: str, says: str) -> None:
    path = _file(tmp_path, "o.toml", text)
    with pytest.raises(AssignmentError) as raised:
        overrides.load(path, EXERCISES)
    assert says in str(raised.value) and str(path) in str(raised.value)


def test_an_override_of_a_student_not_in_the_class_is_refused() -> None:
    with pytest.raises(AssignmentError, match=r"no student anna in the class\. Students: ana, ben\."):
        overrides.check_students([Override("anna", "e", 1)], ["ana", "ben"], "o.toml")


def test_a_roster_maps_student_folders_to_ids(tmp_path: Path) -> None:
    path = _file(tmp_path, "r.csv", "\ufeffstudent,id\nana, s001\n\nben,s002\n")
    assert overrides.load_roster(path) == {"ana": "s001", "ben": "s002"}
    with pytest.raises(AssignmentError, match="first line is student,id"):
        overrides.load_roster(_file(tmp_path, "bad.csv", "name,number\nana,1\n"))
    with pytest.raises(AssignmentError, match="line 2: give a student and their id"):
        overrides.load_roster(_file(tmp_path, "half.csv", "student,id\nana\n"))
    with pytest.raises(AssignmentError, match="Cannot read the roster"):
        overrides.load_roster(tmp_path / "nowhere.csv")
