"""JUnit XML per student: parses, a testsuite per exercise, counts that match, hidden checks hidden."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from grader.gradebook import Gradebook
from grader.outputs import junit


def _parse(book: Gradebook, student: str, tmp_path: Path) -> ElementTree.Element:
    path = junit.write(student, list(book.students[student].values()), tmp_path / "junit")
    assert path == tmp_path / "junit" / f"{student}.xml"
    return ElementTree.parse(path).getroot()


def _counts(element: ElementTree.Element) -> tuple[int, int, int]:
    return tuple(int(element.get(name, "-1")) for name in ("tests", "failures", "errors"))  # type: ignore[return-value]


def test_a_suite_per_exercise_a_case_per_check_and_counts_that_match(book: Gradebook, tmp_path: Path) -> None:
    root = _parse(book, "ana", tmp_path)
    assert (root.tag, root.get("name")) == ("testsuites", "ana")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["dockerfiles.hello", "dockerfiles.webserver"]
    hello, web = suites
    assert [c.get("name") for c in hello.findall("testcase")] == ["prints_hello", "small_image", "secret"]
    assert _counts(hello) == (3, 0, 0)
    assert [c.get("name") for c in web.findall("testcase")] == ["serves", "grading"]
    assert _counts(web) == (2, 1, 1), "a failed check is a failure, an unfinished grading an error"
    assert _counts(root) == (5, 1, 1)
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in cases)
    error = web.find("testcase[@name='grading']/error")
    assert error is not None
    assert (error.get("type"), error.get("message")) == ("timeout", "The build did not finish within 60 s.")
    assert error.text == "The build did not finish within 60 s.\nIt was stopped."
    assert float(root.get("time", "0")) == 61.7


def test_a_failure_says_what_was_expected_and_found_even_when_hostile(
    book: Gradebook, tmp_path: Path
) -> None:
    root = _parse(book, "ben", tmp_path)
    failure = root.find("testsuite[@name='dockerfiles.hello']/testcase[@name='prints_hello']/failure")
    assert failure is not None
    message = failure.get("message", "")
    assert message.startswith("Expected: It prints hello. Found: it printed <script>")
    assert "\x00" not in message and "\x1b" not in message
    assert "Hint: Use CMD." in (failure.text or "")
    system_out = root.find("testsuite[@name='dockerfiles.hello']/system-out")
    assert system_out is not None and "ERROR: boom" in (system_out.text or "")


def test_a_hidden_check_gives_only_what_it_expects(book: Gradebook, tmp_path: Path) -> None:
    root = _parse(book, "ben", tmp_path)
    failure = root.find("testsuite/testcase[@name='secret']/failure")
    assert failure is not None
    assert failure.get("message") == "Expected: It keeps a secret."
    assert "SECRET" not in ElementTree.tostring(root, encoding="unicode")


def test_a_student_without_results_is_an_empty_but_valid_document(book: Gradebook, tmp_path: Path) -> None:
    root = _parse(book, "chloe", tmp_path)
    assert root.findall("testsuite") == []
    assert _counts(root) == (0, 0, 0)
