"""Results on disk, one JSON file per student and exercise, written atomically.

`OUT/results/<student>/<exercise-id>.json` holds the Result and what it was
graded from: a key (a digest of the submission's files, the exercise's checks
and the grader's version), the submission's folder and a digest of its files
alone, the exercise's version and digest, tool versions and the IDs of the
base images (the built image's ID is in the Result), and when the submission was handed in
(`submitted`: nbgrader's timestamp.txt, else the newest file's time, and which). A result whose key still
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
from grader.batch import layout
from grader.model.exercise import Exercise
from grader.model.result import Result
from grader.sandbox import walk

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
    """What a result depends on: the submission's files, the exercise's definition, the grader.

    Raises walk.Refused, with a message for the student, for a submission past the walk's bounds
    (the exercise's context size among them); nothing of it is read then.
    """
    sha = _hash_files(submission, _bounds(exercise))
    sha.update(f"exercise:{exercise.id}:{exercise.digest()}:grader:{__version__}".encode())
    return sha.hexdigest()


def refused_key(problem: str, exercise: Exercise) -> str:
    """The key of a submission that cannot be graded: the same as long as its problem is."""
    sha = hashlib.sha256(f"refused:{problem}".encode())
    sha.update(f"exercise:{exercise.id}:{exercise.digest()}:grader:{__version__}".encode())
    return sha.hexdigest()


def files_digest(submission: Path, limit_bytes: int = walk.MAX_BYTES) -> str:
    """A SHA-256 of the submission's files alone (paths and contents): whether it is still as graded.

    A submission past the walk's bounds has the digest of its problem, read no further.
    """
    try:
        return _hash_files(submission, walk.Bounds(bytes=limit_bytes)).hexdigest()
    except walk.Refused as refused:
        return hashlib.sha256(f"refused:{refused}".encode()).hexdigest()


def _bounds(exercise: Exercise) -> walk.Bounds:
    return walk.Bounds(bytes=exercise.limits.context_bytes)


def _hash_files(submission: Path, bounds: walk.Bounds) -> hashlib._Hash:
    """Every file's path and contents, every link's path and target, by path; folders count by what
    they hold. Files are read in chunks, never past the size the walk counted."""
    sha = hashlib.sha256()
    for entry in walk.walk(submission, bounds).entries:
        if entry.kind == "file":
            _hash_file(sha, entry)
        elif entry.kind == "link":
            _hash_content(sha, entry.relative, os.fsencode(entry.target))
        elif entry.note:  # a special file, or a folder that could not be read: never opened
            _hash_content(sha, entry.relative, f"left out: {entry.note}".encode())
    return sha


def _hash_content(sha: hashlib._Hash, relative: str, content: bytes) -> None:
    sha.update(_header(relative, len(content)))
    sha.update(content)


def _header(relative: str, size: int) -> bytes:
    return f"{len(relative)}:".encode() + os.fsencode(relative) + f":{size}:".encode()


def _hash_file(sha: hashlib._Hash, entry: walk.Entry) -> None:
    """A regular file's contents, streamed; for a file that cannot be opened, why."""
    try:
        handle = walk.open_regular(entry.path)
    except OSError as unreadable:
        _hash_content(sha, entry.relative, f"unreadable: {unreadable.strerror}".encode())
        return
    sha.update(_header(entry.relative, entry.size))
    with handle:
        try:
            for chunk in walk.chunks(handle, entry.size):
                sha.update(chunk)
        except OSError as broken:  # a disk error midway: the digest says so, the batch goes on
            sha.update(f"unreadable: {broken.strerror}".encode())


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
        "submission": {
            "path": str(_where(submission)),
            "digest": files_digest(submission, exercise.limits.context_bytes),
        },
        "submitted": layout.submitted_at(submission),
        "key": key,
        "graded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **provenance,
        "result": result.to_dict(),
    }


def _where(submission: Path) -> Path:
    """The submission's folder, resolved by the kernel (a hostile chain of links costs nothing)."""
    try:
        return walk.resolved(submission)
    except OSError:
        return Path(os.path.abspath(submission))


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
