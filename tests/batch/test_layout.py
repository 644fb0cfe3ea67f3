"""Finding a class: nbgrader's submitted/<student>/<exercise>/ and the flat one-folder-per-student layout."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader.batch import layout
from grader.batch.layout import LayoutError, Submission
from tests import hostile_trees

HELLO, WEB = "dockerfiles.hello", "dockerfiles.webserver"


def _folder(path: Path, name: str = "Dockerfile") -> Path:
    path.mkdir(parents=True)
    (path / name).write_text("FROM busybox\n")
    return path


def test_nbgrader_layout_from_the_submitted_folder_or_its_parent(tmp_path: Path) -> None:
    submitted = tmp_path / "course" / "submitted"
    _folder(submitted / "ben" / HELLO)
    _folder(submitted / "ana" / WEB)
    _folder(submitted / "ana" / HELLO)
    (submitted / "chloe").mkdir()
    for given in (tmp_path / "course", submitted):
        found = layout.discover(given, [HELLO, WEB])
        assert found.root == submitted
        assert found.students == ["ana", "ben", "chloe"], "a student without submissions still counts"
        assert found.submissions == [
            Submission("ana", HELLO, submitted / "ana" / HELLO),
            Submission("ana", WEB, submitted / "ana" / WEB),
            Submission("ben", HELLO, submitted / "ben" / HELLO),
        ]
        assert not found.flat


def test_only_the_chosen_exercises_and_no_hidden_folders(tmp_path: Path) -> None:
    _folder(tmp_path / "ana" / HELLO)
    _folder(tmp_path / "ana" / WEB)
    _folder(tmp_path / ".ipynb_checkpoints" / HELLO)
    found = layout.discover(tmp_path, [WEB, "tiny.echo"])
    assert found.students == ["ana"]
    assert [s.exercise_id for s in found.submissions] == [WEB]


def test_an_assignment_folder_between_student_and_exercise(tmp_path: Path) -> None:
    _folder(tmp_path / "ana" / "week3" / HELLO)
    _folder(tmp_path / "ben" / HELLO)
    found = layout.discover(tmp_path, [HELLO, WEB], assignment_name="week3")
    assert [(s.student, s.folder) for s in found.submissions] == [
        ("ana", tmp_path / "ana" / "week3" / HELLO),
        ("ben", tmp_path / "ben" / HELLO),
    ]
    assert layout.found_exercises(tmp_path, {HELLO, WEB}, "week3") == [HELLO]


def test_flat_layout_for_one_exercise(tmp_path: Path) -> None:
    _folder(tmp_path / "ana")
    _folder(tmp_path / "ben", "setup.sh")
    (tmp_path / "chloe").mkdir()
    found = layout.discover(tmp_path, ["tiny.echo"])
    assert found.flat
    assert found.submissions == [
        Submission("ana", "tiny.echo", tmp_path / "ana"),
        Submission("ben", "tiny.echo", tmp_path / "ben"),
        Submission("chloe", "tiny.echo", tmp_path / "chloe"),
    ], "every student's folder is graded, an empty one too: no missing row"


def test_one_exercise_in_nbgrader_layout_is_not_flat(tmp_path: Path) -> None:
    _folder(tmp_path / "ana" / HELLO)
    (tmp_path / "ben").mkdir()
    found = layout.discover(tmp_path, [HELLO])
    assert not found.flat
    assert found.submissions == [Submission("ana", HELLO, tmp_path / "ana" / HELLO)]


def test_found_exercises_are_the_known_ones_students_have(tmp_path: Path) -> None:
    _folder(tmp_path / "submitted" / "ana" / HELLO)
    _folder(tmp_path / "submitted" / "ben" / "homework.unknown")
    assert layout.found_exercises(tmp_path, {HELLO, WEB}) == [HELLO]


def test_a_missing_or_empty_folder_is_a_layout_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="There is no folder"):
        layout.discover(tmp_path / "nowhere", [HELLO])
    with pytest.raises(LayoutError, match="holds no student folders"):
        layout.discover(tmp_path, [HELLO])


@pytest.mark.timeout(60)
def test_finding_submissions_lists_no_student_folder(tmp_path: Path) -> None:
    _folder(tmp_path / "ana" / HELLO)
    mallory = tmp_path / "mallory"
    hostile_trees.many(_folder(mallory))
    os.mkfifo(mallory / WEB)
    (mallory / HELLO).symlink_to("/etc")
    started = time.monotonic()
    assert layout.found_exercises(tmp_path, {HELLO, WEB}) == [HELLO]
    found = layout.discover(tmp_path, [HELLO, WEB])
    assert time.monotonic() - started < 1, "only the exercises' names are looked up"
    assert found.submissions == [
        Submission("ana", HELLO, tmp_path / "ana" / HELLO),
        Submission("mallory", HELLO, mallory / HELLO),  # a link: found, so that it is refused, said why
    ]


def test_a_folder_that_cannot_be_looked_at_is_no_submission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _folder(tmp_path / "ana" / HELLO)
    _folder(tmp_path / "ben" / HELLO)
    real_stat = os.stat

    def denied(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(tmp_path / "ben")):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", denied)
    found = layout.discover(tmp_path, [HELLO])
    assert [s.student for s in found.submissions] == ["ana"]
