"""Grade a stored result's submission again, as it was graded, for `grader replay`."""

from __future__ import annotations

from pathlib import Path

from grader.batch import provenance, store
from grader.errors import InputError
from grader.grading.grade import grade
from grader.host import engine
from grader.model import exercise as exercises
from grader.model.result import Result


class CannotReplay(InputError):
    """The stored result cannot be graded again as it was; the message says why."""


def check(result_json: Path) -> tuple[store.Stored, exercises.Exercise, Path]:
    """The stored result, its exercise and its submission folder; CannotReplay (or UnknownExercise)
    when it cannot be graded again as it was."""
    stored = _stored(result_json)
    exercise = exercises.load(stored.exercise_id)
    return stored, exercise, _submission(stored, exercise.limits.context_bytes)


def differences(stored: store.Stored, exercise: exercises.Exercise) -> list[str]:
    """Where the exercise, the tools or the base images differ now from the record."""
    return provenance.differences(stored.record, provenance.now(engine.connect(), exercise))


def again(exercise: exercises.Exercise, folder: Path) -> Result:
    """Grade `folder` against `exercise` again in a fresh sandbox."""
    return grade(exercise, folder, host=engine.connect())


def _stored(path: Path) -> store.Stored:
    """The result stored in `path`."""
    stored = store.load(path)
    if stored is None:
        raise CannotReplay(f"{path} is not a result stored by `grader batch`.")
    return stored


def _submission(stored: store.Stored, limit_bytes: int) -> Path:
    """The stored result's submission folder, whose files must be as they were (read as far as
    grading read them)."""
    recorded = stored.record.get("submission")
    regrade = f"grader batch --regrade {stored.student}"
    if not isinstance(recorded, dict):
        raise CannotReplay(
            f"{stored.student}'s {stored.exercise_id} was stored by an older grader that did not record "
            "the submission's files: "
            f"grade it again with `{regrade}` to replay it later."
        )
    folder = Path(recorded["path"])
    if not folder.is_dir():
        raise CannotReplay(f"The submission changed: its folder {folder} is gone, so it cannot be replayed.")
    if store.files_digest(folder, limit_bytes) != recorded["digest"]:
        raise CannotReplay(
            f"The submission changed: the files in {folder} are not those graded on "
            f"{stored.record.get('graded_at', '?')}, so replaying would grade other files. "
            f"`{regrade}` grades what is there now."
        )
    return folder
