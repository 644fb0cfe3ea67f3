"""Gradescope results.json per student: its fields, the gradebook total, hidden checks hidden."""

from __future__ import annotations

import json
from pathlib import Path

from grader.batch.gradebook import Gradebook
from grader.outputs import gradescope
from tests.results import (
    MIA_MISSING,
    MIA_PERCENT,
    MIA_TOTAL,
    WEIGHTS,
    dangerous_in,
    grade_of,
    markdown_html,
    markup_from_student,
    scored,
    three_of_seven,
)

TEST_FIELDS = {"name", "score", "max_score", "status", "output", "visibility"}


def _load(book: Gradebook, student: str, tmp_path: Path) -> dict[str, object]:
    path = gradescope.write(book, student, tmp_path / "gradescope")
    assert path == tmp_path / "gradescope" / student / "results.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_results_json_has_gradescope_s_fields_and_the_gradebook_total(
    book: Gradebook, tmp_path: Path
) -> None:
    data = _load(book, "ana", tmp_path)
    assert set(data) >= {"score", "execution_time", "output", "tests", "visibility"}
    assert data["score"] == book.total("ana")[0] == 10
    assert data["execution_time"] == 62
    assert str(data["output"]).startswith("**Total: 10/14 (71.4%)** (2 of 2 exercises handed in)\n")
    tests = data["tests"]
    assert isinstance(tests, list)
    for test in tests:
        assert set(test) == TEST_FIELDS
        assert test["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}
        assert 0 <= test["score"] <= test["max_score"]
    assert [(t["name"], t["score"], t["max_score"]) for t in tests] == [
        ("dockerfiles.hello: prints hello", 5, 5),
        ("dockerfiles.hello: small image", 3.33, 3.33),
        ("dockerfiles.hello: secret", 1.67, 1.67),
        ("dockerfiles.webserver: serves", 0, 4),
        ("dockerfiles.webserver: grading", 0, 0),
    ], "hello's 6 points weigh 10; webserver is worth its own 4"
    assert round(sum(t["score"] for t in tests), 2) == data["score"]
    assert round(sum(t["max_score"] for t in tests), 2) == book.total("ana")[1] == 14
    assert tests[-1]["status"] == "failed"
    assert tests[-1]["output"] == (
        "Grading ended with status timeout.\n\n"
        "```\nThe build did not finish within 60 s.\nIt was stopped.\n```"
    )


def test_a_failed_check_s_output_says_points_expected_found_hint_and_what_to_try(
    book: Gradebook, tmp_path: Path
) -> None:
    tests = _load(book, "ben", tmp_path)["tests"]
    first = tests[0]  # type: ignore[index]
    assert (first["score"], first["max_score"], first["status"]) == (0, 5, "failed")
    assert first["output"].startswith(
        "0/3 points of the exercise, 0/5 of the total.\n\n"
        "Expected: It prints hello.\n\nFound: it printed \\<script\\>"
    )
    assert first["output"].endswith("\n\nHint: Use CMD.")
    three = grade_of("mia", [scored("dockerfiles.hello", [(1, False)])])
    assert (
        "Try it yourself: `docker run --rm --name thing-0 busybox echo 0`"
        in gradescope.tests(three.exercises[0])[0]["output"]
    )


def test_a_hidden_check_gives_only_what_it_expects_after_the_due_date(
    book: Gradebook, tmp_path: Path
) -> None:
    data = _load(book, "ben", tmp_path)
    secret = next(t for t in data["tests"] if t["name"].endswith("secret"))  # type: ignore[attr-defined]
    assert secret["output"].endswith("\n\nExpected: It keeps a secret.")
    assert secret["visibility"] == "after_due_date"
    assert "SECRET" not in json.dumps(data)
    others = [t for t in data["tests"] if t is not secret]  # type: ignore[attr-defined]
    assert {t["visibility"] for t in others} == {"visible"}


def test_an_unfinished_grading_is_a_test_worth_what_its_checks_could_not_earn(
    book: Gradebook, tmp_path: Path
) -> None:
    tests = _load(book, "ben", tmp_path)["tests"]
    grading = tests[-1]  # type: ignore[index]
    assert (grading["name"], grading["score"], grading["max_score"]) == (
        "dockerfiles.webserver: grading",
        0,
        4,
    )
    assert grading["output"].startswith("Grading ended with status error.")


def test_a_student_without_results_scores_zero_on_every_exercise(book: Gradebook, tmp_path: Path) -> None:
    data = _load(book, "chloe", tmp_path)
    assert data["score"] == 0
    assert [(t["name"], t["score"], t["max_score"]) for t in data["tests"]] == [  # type: ignore[attr-defined]
        ("dockerfiles.hello: not handed in", 0, 10),
        ("dockerfiles.webserver: not handed in", 0, 4),
    ]


def test_three_of_seven_the_total_first_the_tests_add_up_to_it_the_missing_work_at_0(tmp_path: Path) -> None:
    data = _load(three_of_seven(), "mia", tmp_path)
    assert data["score"] == MIA_TOTAL
    output = str(data["output"])
    assert output.startswith(f"**Total: {MIA_TOTAL}/100 ({MIA_PERCENT}%)** (3 of 7 exercises handed in)")
    for exercise in MIA_MISSING:
        assert f"| `{exercise}` | 0" in output and f"`{exercise}`" in output.split("Not handed in")[1]
    tests = data["tests"]
    assert isinstance(tests, list)
    assert round(sum(t["score"] for t in tests), 2) == data["score"], "the tests add up to the score"
    assert round(sum(t["max_score"] for t in tests), 2) == 100, "and their maximums to the total possible"
    missing = [t for t in tests if t["name"].endswith(": not handed in")]
    assert [(t["name"].split(":")[0], t["score"], t["max_score"]) for t in missing] == [
        (exercise, 0, WEIGHTS[exercise]) for exercise in MIA_MISSING
    ]
    cats = [t for t in tests if t["name"].startswith("networks.cats-and-dogs")]
    assert [(t["score"], t["max_score"]) for t in cats] == [(1.43, 1.43), (2.86, 2.86), (0, 5.71)]
    assert {t["visibility"] for t in tests if t["name"] == "dockerfiles.webserver: check 1"} == {
        "after_due_date"
    }


def test_apportion_rounds_to_the_hundredth_and_keeps_the_sum() -> None:
    assert gradescope.apportion(10, [10 / 3] * 3) == [3.34, 3.33, 3.33]
    assert gradescope.apportion(4.29, [10 / 7, 20 / 7, 0]) == [1.43, 2.86, 0]
    assert gradescope.apportion(0, [0, 0]) == [0, 0]
    shares = [20 / 7 * n for n in (1, 1, 1, 2, 2)]
    assert round(sum(gradescope.apportion(20, shares)), 2) == 20


def test_outputs_are_markdown_in_which_a_hostile_result_is_text(
    hostile_book: Gradebook, tmp_path: Path
) -> None:
    data = _load(hostile_book, "evil\x1b]0;pwned\x07\x1b[2J", tmp_path)
    assert (data["output_format"], data["test_output_format"], data["test_name_format"]) == (
        "md",
        "md",
        "text",
    )
    tests = data["tests"]
    assert isinstance(tests, list) and len(tests) == 8
    for test in tests:
        assert not dangerous_in(test["name"]) and not dangerous_in(test["output"])
        html = markdown_html(test["output"])
        assert not markup_from_student(html), (test["name"], html)
        assert "<h1>" not in html
    output = next(t["output"] for t in tests if t["name"] == "dockerfiles.hello: output")
    assert "&lt;script&gt;" in markdown_html(output) and "␛]0;pwned␇" in output
    grading = next(t["output"] for t in tests if t["name"] == "dockerfiles.hello: grading")
    assert grading.startswith("Grading ended with status error.\n\n`````\nThe build failed:\n␛]0;pwned␇\n")
