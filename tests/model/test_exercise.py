"""Exercises as data: every folder loads, ids match folders, unknown ids say what is known."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.model import exercise
from grader.model.exercise import (
    EXERCISES,
    SOLUTIONS,
    BuildSecret,
    Exercise,
    Limits,
    UnknownExercise,
    all_exercises,
    load,
)

FOLDERS = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())


def test_the_course_has_the_four_dockerfile_exercises() -> None:
    assert {
        "dockerfiles.hello",
        "dockerfiles.webserver",
        "dockerfiles.cli-tool",
        "dockerfiles.multistage",
    } <= set(FOLDERS)
    assert [e.id for e in all_exercises()] == FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_exercise_folder_loads_with_its_own_id(folder: str) -> None:
    loaded = load(folder)
    assert loaded.id == folder
    assert loaded.folder == EXERCISES / folder
    assert loaded.title and loaded.topic and loaded.kind
    assert loaded.images, "an exercise names the base images it needs"
    assert loaded.limits.build_timeout_s > 0 and loaded.limits.pids > 0
    assert loaded.tag == f"submission/{folder.replace('.', '-')}:latest"


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_exercise_has_a_task_a_starter_checks_and_a_solution(folder: str) -> None:
    loaded = load(folder)
    assert loaded.readme.is_file() and loaded.readme.read_text().strip()
    assert (loaded.folder / "starter").is_dir()
    assert any((loaded.folder / "starter").iterdir())
    assert loaded.checks.is_file()
    assert loaded.solution == SOLUTIONS / folder
    assert (loaded.solution / loaded.submitted_file).is_file()


def test_an_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(UnknownExercise) as raised:
        load("no.such-exercise")
    message = str(raised.value)
    assert "no.such-exercise" in message
    for folder in FOLDERS:
        assert folder in message
    assert isinstance(raised.value, LookupError)


def test_an_unknown_exercise_in_an_empty_root_says_none(tmp_path: Path) -> None:
    with pytest.raises(UnknownExercise, match="Known exercises: none"):
        load("anything", root=tmp_path)


def _copy(tmp_path: Path, exercise_id: str = "dockerfiles.hello") -> Path:
    root = tmp_path / "exercises"
    shutil.copytree(EXERCISES / exercise_id, root / exercise_id)
    return root


def test_the_digest_changes_when_the_checks_change(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = load("dockerfiles.hello", root=root).digest()
    assert before == load("dockerfiles.hello").digest(), "a copy has the same digest"
    checks = root / "dockerfiles.hello" / "checks.py"
    checks.write_text(checks.read_text() + "\n# one more line\n")
    after = load("dockerfiles.hello", root=root).digest()
    assert after != before
    assert len(after) == 16


def test_the_digest_changes_when_exercise_toml_changes(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = load("dockerfiles.hello", root=root).digest()
    config = root / "dockerfiles.hello" / "exercise.toml"
    config.write_text(config.read_text().replace('version = "1"', 'version = "2"'))
    again = load("dockerfiles.hello", root=root)
    assert again.version == "2"
    assert again.digest() != before


def test_an_id_that_does_not_match_its_folder_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "dockerfiles.hello").rename(root / "dockerfiles.renamed")
    with pytest.raises(ValueError, match=r"id must be 'dockerfiles\.renamed'"):
        load("dockerfiles.renamed", root=root)


def test_defaults_fill_what_exercise_toml_leaves_out(tmp_path: Path) -> None:
    folder = tmp_path / "t.min"
    folder.mkdir()
    (folder / "exercise.toml").write_text('id = "t.min"\ntitle = "T"\ntopic = "t"\nkind = "image"\n')
    loaded = load("t.min", root=tmp_path)
    assert loaded == Exercise(id="t.min", title="T", topic="t", kind="image", folder=folder)
    assert loaded.limits == Limits()
    assert (loaded.images, loaded.build_network, loaded.run_network) == (("busybox:latest",), False, False)
    assert exercise.all_exercises(tmp_path) == [loaded]


def test_a_secret_section_names_the_builds_secret_and_its_build_argument(tmp_path: Path) -> None:
    folder = tmp_path / "t.secret"
    folder.mkdir()
    head = 'id = "t.secret"\ntitle = "T"\ntopic = "t"\nkind = "image"\n'
    (folder / "exercise.toml").write_text(head + '[secret]\nid = "api_token"\narg = "API_TOKEN"\n')
    assert load("t.secret", root=tmp_path).secret == BuildSecret("api_token", "API_TOKEN")
    assert load("dockerfiles.secret").secret == BuildSecret("api_token", "API_TOKEN")
    assert load("dockerfiles.hello").secret is None
