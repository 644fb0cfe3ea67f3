"""Late work, penalties, overrides and the release of hints: applied to outputs, never to results."""

from __future__ import annotations

import os
from pathlib import Path

from grader.batch import adjust, layout
from grader.batch.adjust import Adjustment
from grader.batch.assignment import Assignment, Item, LatePenalty
from grader.batch.gradebook import Gradebook
from grader.batch.overrides import Override
from grader.model.result import CheckResult, Result
from tests.results import SECRETS, hidden_check

HELLO = "dockerfiles.hello"
DUE = "2026-12-01T23:59:00+00:00"
WEEK = Assignment(
    "w",
    (Item(HELLO, 20),),
    DUE,
    LatePenalty(10, 25),
    {"ana": "2026-12-03T23:59:00+00:00"},
    overrides=(Override("ben", HELLO, delta=2, comment="Partial credit for the port."),),
)


def _record(at: str, source: str = "timestamp.txt") -> dict[str, object]:
    return {"submitted": {"at": at, "source": source}}


def test_late_days_are_started_days_past_the_due_date() -> None:
    assert adjust.late_days("2026-12-01T23:59:00Z", DUE) == 0
    assert adjust.late_days("2026-12-02T00:00:01Z", DUE) == 1
    assert adjust.late_days("2026-12-03T23:59:01+00:00", DUE) == 3
    assert adjust.late_days("2026-12-02T00:30:00+01:00", DUE) == 0, "offsets count"
    assert adjust.late_days("", DUE) == adjust.late_days("2026-12-09T00:00:00Z", "") == 0


def test_the_penalty_grows_per_day_up_to_its_maximum_and_extensions_move_the_due_date() -> None:
    records = {
        ("ana", HELLO): _record("2026-12-03T12:00:00Z"),  # on time with her extension
        ("ben", HELLO): _record("2026-12-02T12:00:00Z"),  # a day late
        ("chloe", HELLO): _record("2026-12-09T12:00:00Z", "mtime"),  # 8 days: at the maximum
    }
    found = adjust.adjustments(WEEK, records)
    assert found[("ana", HELLO)] == Adjustment(
        "2026-12-03T12:00:00Z", "timestamp.txt", WEEK.extensions["ana"]
    )
    assert (found[("ben", HELLO)].late_days, found[("ben", HELLO)].penalty) == (1, 10)
    assert (found[("chloe", HELLO)].late_days, found[("chloe", HELLO)].penalty) == (8, 25)
    assert found[("ben", HELLO)].override == WEEK.overrides[0]


def test_an_override_comes_first_then_the_penalty() -> None:
    adjusted = Adjustment(late_days=1, penalty=10, override=Override("ben", HELLO, delta=2))
    assert adjusted.apply(6, 10) == 7.2, "(6 + 2) less 10%"
    assert Adjustment().apply(6, 10) == 6


def _result(score: float) -> Result:
    checks = [
        CheckResult("a", score, passed=True, expected="e"),
        CheckResult("b", 10 - score, passed=False, expected="e"),
    ]
    return Result(HELLO, "s", checks=checks)


def test_a_gradebook_totals_adjusted_points_and_keeps_the_graded_score() -> None:
    book = Gradebook.of([("ben", _result(6))], weights=WEEK.weights, students=["dan"])
    records = {("ben", HELLO): _record("2026-12-02T12:00:00Z")}
    book = Gradebook(
        book.exercises, book.students, book.weights, book.points, adjust.adjustments(WEEK, records)
    )
    (line,) = book.grade("ben").exercises
    assert (line.raw, line.points, line.adds, line.late_days, line.adjusted) == (6, 7.2, 14.4, 1, True)
    assert book.students["ben"][HELLO].score == 6, "the result itself is as graded"
    assert book.grade("dan").exercises[0].points == 0


def test_an_override_gives_points_to_an_exercise_not_handed_in() -> None:
    chosen = Assignment(
        "w", (Item(HELLO, 20),), overrides=(Override("dan", HELLO, points=5, comment="Oral exam."),)
    )
    book = Gradebook.of([("ben", _result(6))], weights=chosen.weights, students=["dan"])
    book = Gradebook(book.exercises, book.students, book.weights, book.points, adjust.adjustments(chosen, {}))
    assert book.total("dan") == (10, 20)
    assert adjust.notes(book.grade("dan")) == [
        "Changed by your instructor: dockerfiles.hello graded 0, set to 5, now 5/10. Comment: Oral exam."
    ]


def test_notes_say_how_late_and_what_the_instructor_changed() -> None:
    book = Gradebook.of([("ben", _result(6))], weights=WEEK.weights)
    records = {("ben", HELLO): _record("2026-12-02T12:00:00Z")}
    book = Gradebook(
        book.exercises, book.students, book.weights, book.points, adjust.adjustments(WEEK, records)
    )
    assert adjust.notes(book.grade("ben")) == [
        "Late: dockerfiles.hello was handed in 2026-12-02 12:00 UTC, 1 day after it was due"
        " (2026-12-01 23:59 UTC): 10% of its points taken off.",
        "Changed by your instructor: dockerfiles.hello graded 6, +2, now 7.2/10."
        " Comment: Partial credit for the port.",
    ]


def _with_hint() -> Result:
    shown = CheckResult("port", 1, passed=False, expected="It listens.", found="nothing", hint="EXPOSE-HINT")
    return Result(HELLO, "s", checks=[shown, hidden_check()])


def _student_text(result: Result) -> str:
    return repr(result.for_student())


def test_before_the_release_no_hint_nor_hidden_finding_after_it_both() -> None:
    before = _student_text(adjust.released_view(_with_hint(), False))
    assert "EXPOSE-HINT" not in before and not any(secret in before for secret in SECRETS)
    after = _student_text(adjust.released_view(_with_hint(), True))
    assert "EXPOSE-HINT" in after and all(secret in after for secret in SECRETS)
    always = _student_text(adjust.released_view(_with_hint(), None))
    assert "EXPOSE-HINT" in always and not any(secret in always for secret in SECRETS), "as before"


def test_a_submission_s_time_is_nbgrader_s_timestamp_else_its_newest_file(tmp_path: Path) -> None:
    folder = tmp_path / "submitted" / "ana" / "week3" / HELLO
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM busybox\n")
    os.utime(folder / "Dockerfile", (1_796_083_200, 1_796_083_200))  # 2026-12-01T00:00:00Z
    assert layout.submitted_at(folder) == {"at": "2026-12-01T00:00:00+00:00", "source": "mtime"}
    (folder.parent / "timestamp.txt").write_text("2026-12-02 10:30:00.123456 UTC\n")
    assert layout.submitted_at(folder) == {
        "at": "2026-12-02T10:30:00.123456+00:00",
        "source": "timestamp.txt",
    }
    (tmp_path / "submitted" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    (folder.parent / "timestamp.txt").unlink()
    assert layout.submitted_at(folder)["source"] == "mtime", "never the class folder's"


def test_a_timestamp_that_is_a_link_or_no_date_is_not_believed(tmp_path: Path) -> None:
    folder = tmp_path / "ana" / HELLO
    folder.mkdir(parents=True)
    (tmp_path / "elsewhere.txt").write_text("2020-01-01 00:00:00 UTC")
    (folder / "timestamp.txt").symlink_to(tmp_path / "elsewhere.txt")
    (folder.parent / "timestamp.txt").write_text("yesterday")
    assert layout.submitted_at(folder)["source"] == "unknown", "no regular file to date it by"
    assert layout.submitted_at(tmp_path / "gone") == {"at": "", "source": "unknown"}


def test_a_record_without_a_time_is_dated_from_its_folder_if_it_is_still_there(tmp_path: Path) -> None:
    (tmp_path / "timestamp.txt").write_text("2026-12-02 10:30:00 UTC")
    assert adjust.submitted_of({"submission": {"path": str(tmp_path)}})["source"] == "timestamp.txt"
    assert adjust.submitted_of({"submission": {"path": str(tmp_path / "gone")}})["source"] == "unknown"


def test_a_timestamp_found_after_grading_dates_a_record_dated_by_its_files(tmp_path: Path) -> None:
    record = {
        "submission": {"path": str(tmp_path)},
        "submitted": {"at": "2026-12-09T00:00:00+00:00", "source": "mtime"},
    }
    assert adjust.submitted_of(record)["source"] == "mtime"
    (tmp_path / "timestamp.txt").write_text("2026-12-01 10:30:00 UTC")
    assert adjust.submitted_of(record) == {"at": "2026-12-01T10:30:00+00:00", "source": "timestamp.txt"}
    recorded = {**record, "submitted": {"at": "2026-12-03T00:00:00+00:00", "source": "timestamp.txt"}}
    assert adjust.submitted_of(recorded)["at"] == "2026-12-03T00:00:00+00:00", "a recorded timestamp stays"
