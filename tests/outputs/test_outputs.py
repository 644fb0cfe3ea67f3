"""Every per-student output of a batch, written for hostile students: nothing dangerous gets through."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

from grader import outputs
from grader.batch.assignment import Assignment, Item, LatePenalty
from grader.batch.gradebook import Gradebook
from grader.batch.overrides import Override
from grader.model.result import CheckResult, Result
from tests.outputs.conftest import HOSTILE_NAMES
from tests.results import SECRETS, dangerous_in, hidden_check


def test_every_per_student_output_of_a_hostile_class_is_safe_and_well_formed(
    hostile_book: Gradebook, tmp_path: Path
) -> None:
    written = [write(hostile_book, name, tmp_path) for name in HOSTILE_NAMES for write in outputs.PER_STUDENT]
    assert len(written) == len(HOSTILE_NAMES) * len(outputs.PER_STUDENT)
    for path in written:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":  # what a reader of the JSON gets, its \u escapes decoded
            text = json.dumps(json.loads(text), ensure_ascii=False)
        assert not dangerous_in(text), f"{path.relative_to(tmp_path)!r}: {dangerous_in(text)}"
        assert "pwned" in text, "what the submission printed is still there to read"
        if path.suffix == ".xml":
            ElementTree.fromstring(text)
        elif path.suffix == ".html":
            assert "<script" not in text and "<img" not in text


# -- a batch's outputs from stored results: late work, overrides, the release of hints --

HELLO = "dockerfiles.hello"


def _store(out: Path, student: str, result: Result, submitted: str) -> None:
    from grader.batch import store

    store.save(
        out,
        {
            "student": student,
            "exercise": {"id": result.exercise, "version": "1", "digest": "d"},
            "submission": {"path": str(out / "nowhere" / student), "digest": "x"},
            "submitted": {"at": submitted, "source": "timestamp.txt"},
            "key": "k",
            "graded_at": "2026-12-09T10:00:00+00:00",
            "result": result.to_dict(),
        },
    )


def _hello() -> Result:
    checks = [
        CheckResult("port", 6, passed=False, expected="It listens.", found="nothing", hint="EXPOSE-HINT"),
        CheckResult("runs", 4, passed=True, expected="It runs."),
        hidden_check(),
    ]
    return Result(HELLO, "s", checks=checks)


def _week(release: str) -> Assignment:
    return Assignment(
        "w",
        (Item(HELLO, 20),),
        "2026-12-01T23:59:00+00:00",
        LatePenalty(10, 50),
        release_hints=release,
        overrides=(Override("ana", HELLO, delta=2, comment="The port was right, on 8081."),),
    )


def test_outputs_apply_overrides_and_penalties_but_the_stored_result_stays_raw(tmp_path: Path) -> None:
    _store(tmp_path, "ana", _hello(), "2026-12-01T12:00:00+00:00")
    _store(tmp_path, "ben", _hello(), "2026-12-03T12:00:00+00:00")  # 2 days late: -20%
    book = outputs.write_all(tmp_path, _week(""), ["ana", "ben"])
    assert (book.total("ana"), book.total("ben")) == ((10, 20), (5.33, 20)), "(4+2)/12 x 20; 4x0.8/12 x 20"
    stored = json.loads((tmp_path / "results" / "ana" / f"{HELLO}.json").read_text())
    assert stored["result"]["score"] == 4, "never changed"
    data = json.loads((tmp_path / "gradebook.json").read_text())
    ana, ben = data["students"]
    assert ana["adjustments"][HELLO]["override"]["comment"] == "The port was right, on 8081."
    assert (ben["late_days"], ben["adjustments"][HELLO]["penalty_percent"]) == (2, 20)
    assert data["assignment"]["overrides"][0]["delta"] == 2
    feedback = (tmp_path / "feedback" / "ana.md").read_text()
    assert "Changed by your instructor: dockerfiles.hello graded 4, +2, now 6/12." in feedback
    for shown in ("feedback/ana.html", "junit/ana.xml", "gradescope/ana/results.json", "report/ana.html"):
        assert "The port was right, on 8081." in (tmp_path / shown).read_text(), f"no override in {shown}"
    assert "2 days after it was due" in (tmp_path / "feedback" / "ben.md").read_text()
    with (tmp_path / "gradebook.csv").open(newline="") as handle:
        rows = {row[0]: row for row in csv.reader(handle)}
    assert rows["ben"][1:] == ["3.2", "5.33", "20", "26.6", "graded", "2"]
    report = (tmp_path / "report" / "index.html").read_text()
    assert "adjusted" in report and "2 day(s) late, 20% off" in report


def _student_files(out: Path) -> str:
    files = [p for p in out.rglob("*") if p.is_file() and p.parts[len(out.parts)] in STUDENT_FACING]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


STUDENT_FACING = ("feedback", "junit", "gradescope")


def test_before_the_release_date_students_see_no_hint_nor_hidden_finding(tmp_path: Path) -> None:
    _store(tmp_path, "ana", _hello(), "2026-12-01T12:00:00+00:00")
    outputs.write_all(tmp_path, _week("2999-01-01T00:00:00+00:00"), ["ana"])
    shown = _student_files(tmp_path)
    assert "EXPOSE-HINT" not in shown and not any(secret in shown for secret in SECRETS)
    assert "Hints, and what hidden checks found, are shown after 2999-01-01 00:00 UTC." in shown
    instructor = (tmp_path / "report" / "ana.html").read_text()
    assert "EXPOSE-HINT" in instructor and all(secret in instructor for secret in SECRETS), "always all"


def test_after_the_release_date_students_see_both(tmp_path: Path) -> None:
    _store(tmp_path, "ana", _hello(), "2026-12-01T12:00:00+00:00")
    outputs.write_all(tmp_path, _week("2020-01-01T00:00:00+00:00"), ["ana"])
    feedback = (tmp_path / "feedback" / "ana.md").read_text() + (
        tmp_path / "feedback" / "ana.html"
    ).read_text()
    assert "EXPOSE-HINT" in feedback and "SECRET-FOUND" in feedback and "SECRET-HINT" in feedback
