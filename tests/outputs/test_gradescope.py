"""Gradescope results.json per student: its fields, the gradebook total, hidden checks hidden."""

from __future__ import annotations

import json
from pathlib import Path

from grader.gradebook import Gradebook
from grader.outputs import gradescope

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
    assert data["output"] == "10 of 14 points over 2 exercises."
    tests = data["tests"]
    assert isinstance(tests, list)
    for test in tests:
        assert set(test) == TEST_FIELDS
        assert test["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}
        assert 0 <= test["score"] <= test["max_score"]
    assert [t["name"] for t in tests] == [
        "dockerfiles.hello: prints hello",
        "dockerfiles.hello: small image",
        "dockerfiles.hello: secret",
        "dockerfiles.webserver: serves",
        "dockerfiles.webserver: grading",
    ]
    assert tests[-1]["status"] == "failed"
    assert tests[-1]["output"].startswith("The build did not finish within 60 s.")


def test_a_failed_check_s_output_says_expected_and_found(book: Gradebook, tmp_path: Path) -> None:
    tests = _load(book, "ben", tmp_path)["tests"]
    first = tests[0]  # type: ignore[index]
    assert (first["score"], first["max_score"], first["status"]) == (0, 3, "failed")
    assert first["output"].startswith("Expected: It prints hello. Found: it printed <script>")


def test_a_hidden_check_gives_only_what_it_expects(book: Gradebook, tmp_path: Path) -> None:
    data = _load(book, "ben", tmp_path)
    secret = next(t for t in data["tests"] if t["name"].endswith("secret"))  # type: ignore[attr-defined]
    assert secret["output"] == "Expected: It keeps a secret."
    assert "SECRET" not in json.dumps(data)


def test_a_student_without_results_scores_zero(book: Gradebook, tmp_path: Path) -> None:
    data = _load(book, "chloe", tmp_path)
    assert (data["score"], data["tests"]) == (0, [])
