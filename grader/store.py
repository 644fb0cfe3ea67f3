"""Results on disk, one JSON file per student and exercise, written atomically.

`OUT/results/<student>/<exercise-id>.json` holds the Result and what it was
graded from: a key (a digest of the submission's files, the exercise's checks
and the grader's version), the submission's folder and a digest of its files
alone, the exercise's version and digest, tool versions and the IDs of the
base images (the built image's ID is in the Result). A result whose key still
matches is current: rerunning a batch skips it; `grader replay` grades it again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.exercise import Exercise
from grader.result import Result

RESULTS = "results"
FORMAT = 2  # 2: the submission's folder and files digest


@dataclass(frozen=True)
class Stored:
    """One stored result and the record around it."""

    student: str
    exercise_id: str
    key: str
    result: Result
    record: dict[str, Any]


def key(submission: Path, exercise: Exercise) -> str:
    """What a result depends on: the submission's files, the exercise's definition, the grader."""
    sha = _hash_files(submission)
    sha.update(f"exercise:{exercise.id}:{exercise.digest()}:grader:{__version__}".encode())
    return sha.hexdigest()


def files_digest(submission: Path) -> str:
    """A SHA-256 of the submission's files alone (paths and contents): whether it is still as graded."""
    return _hash_files(submission).hexdigest()


def _hash_files(submission: Path) -> hashlib._Hash:
    sha = hashlib.sha256()
    for relative, path in _files(submission):
        content = _content(path)
        sha.update(f"{len(relative)}:{relative}:{len(content)}:".encode())
        sha.update(content)
    return sha


def _files(folder: Path) -> list[tuple[str, Path]]:
    """Every file (and symbolic link) under `folder`, by relative path; links are not followed."""
    found = []
    for parent, folders, names in os.walk(folder):
        links = [name for name in folders if Path(parent, name).is_symlink()]
        for name in (*names, *links):
            path = Path(parent, name)
            found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def _content(path: Path) -> bytes:
    """A file's bytes; for a symbolic link, where it points; for an unreadable file, why."""
    try:
        return os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    except OSError as unreadable:
        return f"unreadable: {unreadable.strerror}".encode()


def path_of(out: Path, student: str, exercise_id: str) -> Path:
    return out / RESULTS / student / f"{exercise_id}.json"


def record(
    student: str, exercise: Exercise, key: str, result: Result, provenance: dict[str, Any], submission: Path
) -> dict[str, Any]:
    """The stored form of one result: the Result and what it was graded from."""
    return {
        "format": FORMAT,
        "student": student,
        "exercise": {"id": exercise.id, "version": exercise.version, "digest": exercise.digest()},
        "submission": {"path": str(submission.resolve()), "digest": files_digest(submission)},
        "key": key,
        "graded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **provenance,
        "result": result.to_dict(),
    }


def save(out: Path, data: dict[str, Any]) -> Path:
    """Write a record where it belongs, atomically: a reader sees the old file or the new one."""
    path = path_of(out, data["student"], data["exercise"]["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def load(path: Path) -> Stored | None:
    """The stored result in `path`, or None when it cannot be read (it is then graded again)."""
    try:
        data = json.loads(path.read_text())
        return Stored(
            data["student"], data["exercise"]["id"], data["key"], Result.from_dict(data["result"]), data
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_all(out: Path) -> list[Stored]:
    """Every readable stored result under `out`, by student and exercise."""
    return [stored for path in _result_files(out) if (stored := load(path)) is not None]


def is_current(out: Path, student: str, exercise_id: str, key: str) -> bool:
    """Whether a result for this submission, graded from the same files and checks, is stored."""
    stored = load(path_of(out, student, exercise_id))
    return stored is not None and stored.key == key


def _result_files(out: Path) -> Iterator[Path]:
    folder = out / RESULTS
    if folder.is_dir():
        yield from sorted(p for p in folder.glob("*/*.json") if not p.name.startswith("."))
