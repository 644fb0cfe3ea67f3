"""The class gradebook: one CSV row per student, one column per exercise, totals; and its table."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console

from grader import gradebook
from grader.result import CheckResult, Result


def _result(exercise: str, earned: float, possible: float, status: str = "graded") -> Result:
    checks = [CheckResult("a", earned, passed=True, expected="e")] if earned else []
    if possible - earned:
        checks.append(CheckResult("b", possible - earned, passed=False, expected="e"))
    return Result(exercise, f"{exercise}-folder", status=status, checks=checks)  # type: ignore[arg-type]


GRADED = [
    ("ben", _result("dockerfiles.hello", 7, 10)),
    ("ana", _result("dockerfiles.hello", 10, 10)),
    ("ana", _result("dockerfiles.webserver", 8.5, 10)),
    ("chloe", _result("dockerfiles.webserver", 0, 10, status="timeout")),
]


def _csv(tmp_path: Path) -> list[list[str]]:
    path = gradebook.write_csv(GRADED, tmp_path / "out" / "gradebook.csv")
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_columns_are_student_each_exercise_total_possible(tmp_path: Path) -> None:
    header = _csv(tmp_path)[0]
    assert header == ["student", "dockerfiles.hello", "dockerfiles.webserver", "total", "possible"]


def test_one_row_per_student_sorted_with_right_totals(tmp_path: Path) -> None:
    rows = _csv(tmp_path)[1:]
    assert rows == [
        ["ana", "10", "8.5", "18.5", "20"],
        ["ben", "7", "", "7", "10"],
        ["chloe", "", "0", "0", "10"],
    ]


def test_a_missing_exercise_is_an_empty_cell_not_a_zero(tmp_path: Path) -> None:
    rows = {row[0]: row for row in _csv(tmp_path)[1:]}
    assert rows["ben"][2] == ""
    assert rows["chloe"][1] == ""
    assert rows["chloe"][2] == "0"


def test_rows_groups_results_by_student() -> None:
    exercises, students = gradebook.rows(GRADED)
    assert exercises == ["dockerfiles.hello", "dockerfiles.webserver"]
    assert list(students) == ["ana", "ben", "chloe"]
    assert set(students["ana"]) == {"dockerfiles.hello", "dockerfiles.webserver"}


def test_the_table_renders_scores_totals_and_status() -> None:
    console = Console(record=True, width=120, color_system=None)
    console.print(gradebook.table(GRADED))
    text = console.export_text()
    assert "Gradebook" in text
    for column in ("Student", "hello", "webserver", "Total"):
        assert column in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 4}
    assert "10/10" in rows["ana"] and "8.5/10" in rows["ana"] and "18.5/20" in rows["ana"]
    assert "7/10" in rows["ben"] and "-" in rows["ben"]
    assert "0/10 timeout" in rows["chloe"]


def test_a_student_name_with_brackets_is_shown_as_it_is() -> None:
    console = Console(record=True, width=120, color_system=None)
    console.print(gradebook.table([("ana[/b]", _result("dockerfiles.hello", 1, 1))]))
    assert "ana[/b]" in console.export_text()


def test_weights_make_the_total_and_every_listed_exercise_counts(tmp_path: Path) -> None:
    book = gradebook.Gradebook.of(
        GRADED, weights={"dockerfiles.hello": 30, "dockerfiles.webserver": None}, students=["david"]
    )
    assert book.exercises == ["dockerfiles.hello", "dockerfiles.webserver"]
    assert book.total("ana") == (30 + 8.5, 40), "hello at full marks adds its weight, webserver its points"
    assert book.total("ben") == (21, 40), "7/10 of 30; the missing webserver adds 0 of 10"
    assert book.total("david") == (0, 40), "a student without results still has a row"
    path = gradebook.write_csv(book, tmp_path / "gradebook.csv")
    with path.open(newline="") as handle:
        rows = {row[0]: row for row in csv.reader(handle)}
    assert rows["ben"] == ["ben", "7", "", "21", "40"]
    assert rows["david"] == ["david", "", "", "0", "40"]


def test_full_marks_of_an_exercise_ignore_results_without_checks() -> None:
    errored = Result("dockerfiles.hello", "x", status="error", reason="no sandbox")
    book = gradebook.Gradebook.of([*GRADED, ("david", errored)], weights={"dockerfiles.hello": None})
    assert book.points["dockerfiles.hello"] == 10
    assert book.total("david") == (0, 10)


def test_to_dict_has_every_student_exercise_weight_and_record() -> None:
    book = gradebook.Gradebook.of(GRADED, weights={"dockerfiles.hello": 2, "dockerfiles.webserver": None})
    data = gradebook.to_dict(book, {("ana", "dockerfiles.hello"): {"key": "k", "result": {"score": 10}}})
    assert data["exercises"] == [
        {"id": "dockerfiles.hello", "weight": 2, "points": 10},
        {"id": "dockerfiles.webserver", "weight": 10, "points": 10},
    ]
    ana = data["students"][0]
    assert (ana["student"], ana["total"], ana["possible"]) == ("ana", 10.5, 12)
    assert ana["exercises"]["dockerfiles.hello"] == {"key": "k", "result": {"score": 10}}
    assert ana["exercises"]["dockerfiles.webserver"]["result"]["score"] == 8.5


def test_the_course_gradebook_merges_notebook_and_exercise_scores(tmp_path: Path) -> None:
    exported = [  # nbgrader export's rows (other columns left out)
        {"assignment": "01-run-flow", "student_id": "ana", "score": "15.0", "max_score": "15.0"},
        {"assignment": "01-run-flow", "student_id": "dan", "score": "3.0", "max_score": "15.0"},
        {"assignment": "02-containers", "student_id": "ana", "score": "4.5", "max_score": "9.0"},
    ]
    book = gradebook.Gradebook.of(GRADED)
    path = gradebook.write_course_csv(book, gradebook.notebook_scores(exported), tmp_path / "course.csv")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        [
            "student",
            "01-run-flow",
            "02-containers",
            "dockerfiles.hello",
            "dockerfiles.webserver",
            "total",
            "possible",
        ],
        ["ana", "15", "4.5", "10", "8.5", "38", "44"],
        ["ben", "", "", "7", "", "7", "34"],
        ["chloe", "", "", "", "0", "0", "34"],
        ["dan", "3", "", "", "", "3", "24"],
    ]
