"""Results on disk: a key that changes with what a result depends on, atomic saves, loading."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from grader import __version__
from grader.batch import store
from grader.model.exercise import Exercise, load
from grader.model.result import CheckResult, Result
from grader.sandbox import walk
from tests import hostile_trees

PROVENANCE = {"tools": {"grader": __version__}, "base_images": {"busybox:latest": "sha256:abc"}}


def _submission(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {"Dockerfile": "FROM busybox\n"}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _result(score: bool = True) -> Result:
    return Result("tiny.echo", "s", checks=[CheckResult("prints_ok", 3, passed=score, expected="ok")])


def test_the_key_is_the_same_for_the_same_files_wherever_they_are(tmp_path: Path, tiny: Exercise) -> None:
    one = _submission(tmp_path / "one", Dockerfile="FROM busybox\n", **{"app/run.sh": "echo hi\n"})
    two = shutil.copytree(one, tmp_path / "elsewhere" / "two")
    assert store.key(one, tiny) == store.key(two, tiny)
    assert len(store.key(one, tiny)) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda f: (f / "Dockerfile").write_text("FROM busybox\nCMD x\n"),
        lambda f: (f / "notes.txt").write_text("new file\n"),
        lambda f: (f / "Dockerfile").rename(f / "dockerfile"),
        lambda f: (f / "empty").mkdir() or (f / "empty" / "x").write_text(""),
    ],
    ids=["content", "added", "renamed", "nested"],
)
def test_the_key_changes_with_the_files(tmp_path: Path, tiny: Exercise, change: object) -> None:
    folder = _submission(tmp_path / "s")
    before = store.key(folder, tiny)
    change(folder)  # type: ignore[operator]
    assert store.key(folder, tiny) != before


def test_the_key_changes_with_the_exercise_checks(tmp_path: Path, tiny: Exercise) -> None:
    folder = _submission(tmp_path / "s")
    copy = shutil.copytree(tiny.folder, tmp_path / "exercises" / tiny.id)
    assert store.key(folder, load(tiny.id, copy.parent)) == store.key(folder, tiny)
    with (copy / "checks.py").open("a") as checks:
        checks.write("\n# a changed check\n")
    assert store.key(folder, load(tiny.id, copy.parent)) != store.key(folder, tiny)


def test_the_key_changes_with_the_grader_version(
    tmp_path: Path, tiny: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _submission(tmp_path / "s")
    before = store.key(folder, tiny)
    monkeypatch.setattr(store, "__version__", "9.9.9")
    assert store.key(folder, tiny) != before


def test_symbolic_links_count_by_target_and_are_not_followed(tmp_path: Path, tiny: Exercise) -> None:
    folder = _submission(tmp_path / "s")
    (folder / "loop").symlink_to(folder)
    (folder / "secret").symlink_to("/etc/shadow")
    before = store.key(folder, tiny)
    (folder / "secret").unlink()
    (folder / "secret").symlink_to("/etc/passwd")
    assert store.key(folder, tiny) != before


def test_save_and_load_round_trip_with_everything_recorded(tmp_path: Path, tiny: Exercise) -> None:
    record = store.record("ana", tiny, "k1", _result(), PROVENANCE, tmp_path)
    path = store.save(tmp_path, record)
    assert path == tmp_path / "results" / "ana" / "tiny.echo.json"
    assert [p.name for p in path.parent.iterdir()] == ["tiny.echo.json"], "no temporary file is left"
    loaded = store.load(path)
    assert loaded is not None
    assert (loaded.student, loaded.exercise_id, loaded.key) == ("ana", "tiny.echo", "k1")
    assert loaded.result.to_dict() == _result().to_dict()
    data = json.loads(path.read_text())
    assert data["exercise"] == {"id": "tiny.echo", "version": tiny.version, "digest": tiny.digest()}
    assert data["tools"]["grader"] == __version__
    assert data["base_images"] == {"busybox:latest": "sha256:abc"}
    assert data["graded_at"]


def test_a_save_that_fails_leaves_the_old_result_whole(
    tmp_path: Path, tiny: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = store.save(tmp_path, store.record("ana", tiny, "old", _result(), PROVENANCE, tmp_path))

    def broken(data: object, handle: object, **options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", broken)
    with pytest.raises(KeyboardInterrupt):
        store.save(tmp_path, store.record("ana", tiny, "new", _result(False), PROVENANCE, tmp_path))
    assert [p.name for p in path.parent.iterdir()] == ["tiny.echo.json"]
    loaded = store.load(path)
    assert loaded is not None and loaded.key == "old"


def test_is_current_only_for_a_readable_result_with_the_same_key(tmp_path: Path, tiny: Exercise) -> None:
    assert not store.is_current(tmp_path, "ana", "tiny.echo", "k1")
    path = store.save(tmp_path, store.record("ana", tiny, "k1", _result(), PROVENANCE, tmp_path))
    assert store.is_current(tmp_path, "ana", "tiny.echo", "k1")
    assert not store.is_current(tmp_path, "ana", "tiny.echo", "k2")
    path.write_text('{"student": "ana", "ke')
    assert not store.is_current(tmp_path, "ana", "tiny.echo", "k1")


def test_load_all_reads_every_result_and_skips_broken_and_temporary_files(
    tmp_path: Path, tiny: Exercise
) -> None:
    for student in ("ben", "ana"):
        store.save(tmp_path, store.record(student, tiny, "k", _result(), PROVENANCE, tmp_path))
    (tmp_path / "results" / "ana" / ".tiny.echo.json.123.tmp").write_text("{}")
    (tmp_path / "results" / "ana" / "other.json").write_text("not json")
    assert [(s.student, s.exercise_id) for s in store.load_all(tmp_path)] == [
        ("ana", "tiny.echo"),
        ("ben", "tiny.echo"),
    ]
    assert store.load_all(tmp_path / "nothing-yet") == []


def test_the_files_digest_is_the_submission_alone_and_is_recorded(
    tmp_path: Path, tiny: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _submission(tmp_path / "s")
    digest = store.files_digest(folder)
    monkeypatch.setattr(store, "__version__", "9.9.9")
    assert store.files_digest(folder) == digest, "the grader's version is no part of it"
    data = store.record("ana", tiny, "k", _result(), PROVENANCE, folder)
    assert data["submission"] == {"path": str(folder.resolve()), "digest": digest}
    (folder / "Dockerfile").write_text("FROM busybox\nCMD x\n")
    assert store.files_digest(folder) != digest


# -- hostile submissions: keyed without reading what must not be read ------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make", ["fifo", "loop", "dev_zero", "passwd"])
def test_special_files_and_links_out_are_keyed_without_being_read(
    tmp_path: Path, tiny: Exercise, make: str
) -> None:
    folder = hostile_trees.submission(tmp_path / "s")
    before = store.key(folder, tiny)
    hostile_trees.MAKERS[make](folder)
    after = store.key(folder, tiny)
    assert after != before, "what is left out still counts: its name and kind"
    assert store.key(folder, tiny) == after


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make", sorted(hostile_trees.REFUSED))
def test_a_submission_past_the_bounds_has_no_key_but_a_stable_digest(
    tmp_path: Path, tiny: Exercise, make: str
) -> None:
    folder = hostile_trees.submission(tmp_path / "s")
    hostile_trees.MAKERS[make](folder)
    try:
        with pytest.raises(walk.Refused, match=hostile_trees.REFUSED[make]):
            store.key(folder, tiny)
        assert store.files_digest(folder) == store.files_digest(folder)
        assert store.files_digest(folder) != store.files_digest(hostile_trees.submission(tmp_path / "t"))
    finally:
        hostile_trees.unnest(folder)


def test_the_key_of_a_refused_submission_follows_its_problem(tiny: Exercise) -> None:
    assert store.refused_key("too deep", tiny) == store.refused_key("too deep", tiny)
    assert store.refused_key("too deep", tiny) != store.refused_key("too many", tiny)


def test_the_byte_bound_is_the_exercise_s_context_bound(tmp_path: Path, tiny: Exercise) -> None:
    folder = _submission(tmp_path / "s", Dockerfile="FROM busybox\n" + "#" * 100)
    small = dataclasses.replace(tiny, limits=dataclasses.replace(tiny.limits, context_bytes=50))
    store.key(folder, tiny)
    with pytest.raises(walk.Refused, match="over the limit"):
        store.key(folder, small)


def test_folders_never_graded_are_not_keyed(tmp_path: Path, tiny: Exercise) -> None:
    folder = _submission(tmp_path / "s")
    before = store.key(folder, tiny)
    (folder / ".git").mkdir()
    (folder / ".git" / "index").write_text("x" * 1000)
    assert store.key(folder, tiny) == before


def test_a_record_says_when_the_submission_was_handed_in_and_how_that_is_known(
    tmp_path: Path, tiny: Exercise
) -> None:
    folder = tmp_path / "ana" / "tiny.echo"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM busybox\n")
    assert store.record("ana", tiny, "k", _result(), PROVENANCE, folder)["submitted"]["source"] == "mtime"
    (folder.parent / "timestamp.txt").write_text("2026-12-02 10:30:00 UTC\n")
    data = store.record("ana", tiny, "k", _result(), PROVENANCE, folder)
    assert data["submitted"] == {"at": "2026-12-02T10:30:00+00:00", "source": "timestamp.txt"}
