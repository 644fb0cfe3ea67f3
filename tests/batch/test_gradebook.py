"""The class gradebook: one CSV row per student, one column per exercise, totals; and its table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rich.console import Console

from grader.batch import gradebook
from grader.model.result import CheckResult, Result
from grader.outputs import gradebook_csv
from grader.outputs.console import make as make_console
from tests.results import (
    HOSTILE_STUDENTS,
    MIA_HANDED_IN,
    MIA_MISSING,
    MIA_PERCENT,
    MIA_TOTAL,
    SGR,
    WEIGHTS,
    dangerous_on_terminal,
    terminal_output,
    three_of_seven,
)


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
    path = gradebook_csv.write(GRADED, tmp_path / "out" / "gradebook.csv")
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_columns_are_student_each_exercise_with_its_maximum_and_weight_total_possible_percent(
    tmp_path: Path,
) -> None:
    header = _csv(tmp_path)[0]
    assert header == [
        "student",
        "dockerfiles.hello (max 10, weight 10)",
        "dockerfiles.webserver (max 10, weight 10)",
        "total",
        "possible",
        "percent",
        "status",
        "late (days)",
    ]


def test_under_the_header_a_row_of_maxima_and_one_of_weights(tmp_path: Path) -> None:
    book = gradebook.Gradebook.of(GRADED, weights={"dockerfiles.hello": 30, "dockerfiles.webserver": None})
    rows = _rows(gradebook_csv.write(book, tmp_path / "gradebook.csv"))
    assert rows[1] == ["(maximum)", "10", "10", "", "", "", "", ""]
    assert rows[2] == ["(weight)", "30", "10", "40", "", "", "", ""]


def test_one_row_per_student_sorted_with_right_totals_and_status(tmp_path: Path) -> None:
    rows = _csv(tmp_path)[3:]
    assert rows == [
        ["ana", "10", "8.5", "18.5", "20", "92.5", "graded", ""],
        ["ben", "7", "", "7", "10", "70", "graded", ""],
        ["chloe", "", "0", "0", "10", "0", "timeout", ""],
    ]


def test_a_roster_adds_an_id_column_for_an_lms(tmp_path: Path) -> None:
    path = gradebook_csv.write(GRADED, tmp_path / "gradebook.csv", ids={"ana": "s1", "ben": "=2"})
    rows = _rows(path)
    assert rows[0][:2] == ["student", "id"]
    assert [row[:2] for row in rows[1:]] == [
        ["(maximum)", ""],
        ["(weight)", ""],
        ["ana", "s1"],
        ["ben", "'=2"],
        ["chloe", ""],
    ]
    assert rows[3][2:] == ["10", "8.5", "18.5", "20", "92.5", "graded", ""]


def test_a_missing_exercise_is_an_empty_cell_not_a_zero(tmp_path: Path) -> None:
    rows = {row[0]: row for row in _csv(tmp_path)[3:]}
    assert rows["ben"][2] == ""
    assert rows["chloe"][1] == ""
    assert rows["chloe"][2] == "0"


def test_rows_groups_results_by_student() -> None:
    exercises, students = gradebook.rows(GRADED)
    assert exercises == ["dockerfiles.hello", "dockerfiles.webserver"]
    assert list(students) == ["ana", "ben", "chloe"]
    assert set(students["ana"]) == {"dockerfiles.hello", "dockerfiles.webserver"}


def test_the_table_renders_scores_totals_and_status() -> None:
    console = Console(record=True, width=120, color_system=None, force_terminal=True)
    console.print(gradebook.table(GRADED))
    text = console.export_text()
    assert "Gradebook" in text
    for column in ("Student", "hello", "webserver", "Total"):
        assert column in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 4}
    assert "10/10" in rows["ana"] and "8.5/10" in rows["ana"] and "18.5/20" in rows["ana"]
    assert "92.5%" in rows["ana"]
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
    path = gradebook_csv.write(book, tmp_path / "gradebook.csv")
    with path.open(newline="") as handle:
        rows = {row[0]: row for row in csv.reader(handle)}
    assert rows["ben"] == ["ben", "7", "", "21", "40", "52.5", "incomplete", ""]
    assert rows["david"] == ["david", "", "", "0", "40", "0", "not handed in", ""]


def test_full_marks_of_an_exercise_ignore_results_without_checks() -> None:
    errored = Result("dockerfiles.hello", "x", status="error", reason="no sandbox")
    book = gradebook.Gradebook.of([*GRADED, ("david", errored)], weights={"dockerfiles.hello": None})
    assert book.points["dockerfiles.hello"] == 10
    assert book.total("david") == (0, 10)


WEB = "dockerfiles.webserver"


def test_to_dict_has_every_student_exercise_weight_and_record() -> None:
    book = gradebook.Gradebook.of(GRADED, weights={"dockerfiles.hello": 2, "dockerfiles.webserver": None})
    data = gradebook.to_dict(book, {("ana", "dockerfiles.hello"): {"key": "k", "result": {"score": 10}}})
    assert data["exercises"] == [
        {"id": "dockerfiles.hello", "weight": 2, "points": 10},
        {"id": "dockerfiles.webserver", "weight": 10, "points": 10},
    ]
    ana = data["students"][0]
    assert (ana["student"], ana["total"], ana["possible"], ana["percent"]) == ("ana", 10.5, 12, 87.5)
    assert (ana["adds"], ana["missing"]) == ({"dockerfiles.hello": 2, "dockerfiles.webserver": 8.5}, [])
    ben = data["students"][1]
    assert (ben["adds"], ben["missing"]) == ({"dockerfiles.hello": 1.4, "dockerfiles.webserver": 0}, [WEB])
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


HOSTILE_GRADED = [(name, _result("dockerfiles.hello", 1, 2)) for name in (*HOSTILE_STUDENTS, "ana")]


def test_no_name_in_the_csv_can_become_a_formula(tmp_path: Path) -> None:
    rows = _rows(gradebook_csv.write(HOSTILE_GRADED, tmp_path / "gradebook.csv"))
    names = [row[0] for row in rows[3:]]
    assert set(names) == {"'+1", "'-1", '\'=HYPERLINK("http://x","y")', "'@SUM(1)", "'␉=1", "'＝1+1", "ana"}
    expected = [["1", "1", "2", "50", "graded", ""]] * len(names)
    assert [row[1:] for row in rows[3:]] == expected, "the numbers stay numbers"


def test_no_name_in_the_course_csv_can_become_a_formula(tmp_path: Path) -> None:
    exported = [{"assignment": "=1+1", "student_id": "@SUM(1)", "score": "1", "max_score": "2"}]
    book = gradebook.Gradebook.of(HOSTILE_GRADED)
    rows = _rows(gradebook.write_course_csv(book, gradebook.notebook_scores(exported), tmp_path / "c.csv"))
    assert rows[0][:3] == ["student", "'=1+1", "dockerfiles.hello"]
    assert all(row[0][0] == "'" or row[0] == "ana" for row in rows[1:])
    assert ["'@SUM(1)", "1", "1", "2", "4"] in rows


def test_the_json_gradebook_keeps_names_raw_but_writes_only_ascii(tmp_path: Path) -> None:
    book = gradebook.Gradebook.of([("evil\x1b]0;pwned\x07\u202e", _result("dockerfiles.hello", 1, 2))])
    path = gradebook.write_json(gradebook.to_dict(book), tmp_path / "gradebook.json")
    text = path.read_text(encoding="utf-8")
    assert text.isascii() and "\\u001b]0;pwned\\u0007\\u202e" in text
    assert json.loads(text)["students"][0]["student"] == "evil\x1b]0;pwned\x07\u202e"


def test_the_terminal_table_shows_hostile_names_as_text_on_one_line() -> None:
    names = ["evil\x1b]0;pwned\x07\x1b[2J", "eve\r✓ 10/10", "x\x1b[1A\x1b[2Kana  2/2", "\x9b2J", "ben\nzed"]
    output = terminal_output(gradebook.table([(name, _result("dockerfiles.hello", 1, 2)) for name in names]))
    assert not dangerous_on_terminal(output)
    text = SGR.sub("", output)
    for shown in ("evil␛]0;pwned␇␛[2J", "eve␍✓ 10/10", "x␛[1A␛[2Kana  2/2", "\\x9b2J", "ben␊zed"):
        assert shown in text
    assert len(text.splitlines()) == 4 + len(names) + 1, "a line per student"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_a_grade_has_every_exercise_of_the_assignment_and_its_contributions_make_the_total() -> None:
    grade = three_of_seven().grade("mia")
    assert [line.exercise for line in grade.exercises] == list(WEIGHTS)
    assert grade.missing == list(MIA_MISSING)
    assert [r.exercise for r in grade.results] == list(MIA_HANDED_IN)
    assert [(line.points, line.full, line.weight, line.adds) for line in grade.exercises if line.result] == [
        (10, 10, 10, 10),
        (7, 10, 20, 14),
        (3, 7, 10, 4.29),
    ]
    assert {line.status for line in grade.exercises if not line.result} == {gradebook.NOT_HANDED_IN}
    assert (grade.total, grade.possible, grade.percent) == (MIA_TOTAL, 100, MIA_PERCENT)
    assert grade.total == round(sum(line.adds for line in grade.exercises), 2)
    assert three_of_seven().total("mia") == (MIA_TOTAL, 100)


def test_the_csv_of_three_of_seven_adds_up_with_its_headers(tmp_path: Path) -> None:
    rows = _rows(gradebook_csv.write(three_of_seven(), tmp_path / "gradebook.csv"))
    assert rows[0] == [
        "student",
        "dockerfiles.hello (max 10, weight 10)",
        "dockerfiles.cli-tool (max 10, weight 20)",
        "dockerfiles.webserver (max 10, weight 20)",
        "dockerfiles.multistage (max 0, weight 20)",
        "run-flow.commit (max 0, weight 10)",
        "networks.cats-and-dogs (max 7, weight 10)",
        "volumes.shared-data (max 0, weight 10)",
        "total",
        "possible",
        "percent",
        "status",
        "late (days)",
    ]
    mia = next(row for row in rows if row[0] == "mia")
    assert mia == [
        "mia",
        "10",
        "",
        "7",
        "",
        "",
        "3",
        "",
        f"{MIA_TOTAL:g}",
        "100",
        f"{MIA_PERCENT:g}",
        "incomplete",
        "",
    ]
    weights = [float(h.split("weight ")[1].rstrip(")")) for h in rows[0][1:8]]
    maxima = [float(h.split("max ")[1].split(",")[0]) for h in rows[0][1:8]]
    adds = [w * float(s) / m for s, w, m in zip(mia[1:8], weights, maxima, strict=True) if s]
    assert round(sum(adds), 2) == MIA_TOTAL, "the headers are enough to add a row up"


LONG_NAME = "maria-del-carmen-" + "x" * 120 + "-end"


def test_a_gradebook_piped_is_plain_and_cuts_no_name_nor_total(capsys: pytest.CaptureFixture[str]) -> None:
    book = three_of_seven()
    book.students[LONG_NAME] = book.students.pop("mia")
    console = make_console()  # stdout is captured here: no terminal, as when piped
    assert not console.is_terminal
    console.print(gradebook.table(book))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Gradebook"
    assert lines[1].split() == [
        "Student",
        "hello",
        "cli-tool",
        "webserver",
        "multistage",
        "commit",
        "cats-and-dogs",
        "shared-data",
        "Total",
        "%",
    ]
    row = next(line for line in lines if line.startswith(LONG_NAME))
    assert row.split()[1:] == [
        "10/10",
        "-",
        "7/10",
        "-",
        "-",
        "3/7",
        "-",
        f"{MIA_TOTAL:g}/100",
        f"{MIA_PERCENT:g}%",
    ]
    text = "\n".join(lines)
    assert "…" not in text and not set(text) & set("│─┃━┏┓┗┛╇╈┡┩"), "no ellipsis, no box"
    assert "\x1b" not in text, "no colour"


def test_the_terminal_table_has_the_total_and_percentage_columns() -> None:
    output = SGR.sub("", terminal_output(gradebook.table(three_of_seven()), width=200))
    row = next(line for line in output.splitlines() if "mia" in line)
    assert f"{MIA_TOTAL:g}/100" in row and f"{MIA_PERCENT:g}%" in row
