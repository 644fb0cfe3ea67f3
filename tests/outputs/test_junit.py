"""JUnit XML per student: parses, a testsuite per exercise, counts that match, hidden checks hidden."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from grader.batch.gradebook import Gradebook
from grader.outputs import junit
from tests.outputs.conftest import HOSTILE_NAMES
from tests.results import MIA_MISSING, MIA_PERCENT, MIA_TOTAL, WEIGHTS, dangerous_in, three_of_seven


def _parse(book: Gradebook, student: str, tmp_path: Path) -> ElementTree.Element:
    path = junit.write(book.grade(student), tmp_path / "junit")
    assert path == tmp_path / "junit" / f"{student}.xml"
    return ElementTree.parse(path).getroot()


def _counts(element: ElementTree.Element) -> tuple[int, int, int]:
    return tuple(int(element.get(name, "-1")) for name in ("tests", "failures", "errors"))  # type: ignore[return-value]


def test_a_suite_per_exercise_a_case_per_check_and_counts_that_match(book: Gradebook, tmp_path: Path) -> None:
    root = _parse(book, "ana", tmp_path)
    assert (root.tag, root.get("name")) == ("testsuites", "ana")
    total, *suites = root.findall("testsuite")
    assert (total.get("name"), _counts(total)) == ("ana: total", (0, 0, 0))
    assert [s.get("name") for s in suites] == ["dockerfiles.hello", "dockerfiles.webserver"]
    hello, web = suites
    assert {c.get("classname") for c in root.iter("testcase")} == {
        "ana.dockerfiles.hello",
        "ana.dockerfiles.webserver",
    }, "the student is named in every classname"
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


def test_a_student_without_results_fails_every_exercise(book: Gradebook, tmp_path: Path) -> None:
    root = _parse(book, "chloe", tmp_path)
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "chloe: total",
        "dockerfiles.hello",
        "dockerfiles.webserver",
    ]
    assert _counts(root) == (2, 2, 0), "each exercise not handed in is a failed case"
    failure = root.find("testsuite[@name='dockerfiles.hello']/testcase[@name='handed_in']/failure")
    assert failure is not None and failure.get("message") == "Not handed in: it counts 0 of 10."


def test_a_hostile_class_s_documents_parse_and_show_escapes_as_marks(
    hostile_book: Gradebook, tmp_path: Path
) -> None:
    for name in HOSTILE_NAMES:
        root = _parse(hostile_book, name, tmp_path)
        every = [root.get("name", ""), *(t for e in root.iter() for t in [e.text or "", *e.attrib.values()])]
        assert not [text for text in every if dangerous_in(text)]
        assert _counts(root) == (8, 6, 2), "3 failed checks and a grading error per exercise"
    root = _parse(hostile_book, "evil\x1b]0;pwned\x07\x1b[2J", tmp_path)
    assert root.get("name") == "evil␛]0;pwned␇␛[2J"
    out = root.find("testsuite[@name='dockerfiles.hello']/system-out")
    assert out is not None and "␛]52;c;" in (out.text or "") and "\\x9b2J" in (out.text or "")
    error = root.find("testsuite/testcase[@name='grading']/error")
    assert error is not None and error.get("message") == "The build failed:"


def _properties(element: ElementTree.Element | None) -> dict[str, str]:
    assert element is not None
    return {p.get("name", ""): p.get("value", "") for p in element.findall("properties/property")}


def test_three_of_seven_opens_with_the_total_and_a_table_and_records_points_and_time(tmp_path: Path) -> None:
    root = _parse(three_of_seven(), "mia", tmp_path)
    first = root.find("testsuite")
    assert first is not None and first.get("name") == "mia: total"
    assert _properties(first) == {
        "student": "mia",
        "total": f"{MIA_TOTAL:g}",
        "possible": "100",
        "percent": f"{MIA_PERCENT:g}",
        "handed_in": "3 of 7",
    }
    table = first.findtext("system-out", "")
    assert table.startswith(f"Total: {MIA_TOTAL:g}/100 ({MIA_PERCENT:g}%)\n")
    suites = root.findall("testsuite")[1:]
    assert [s.get("name") for s in suites] == list(WEIGHTS), "every exercise of the assignment"
    shares = {s.get("name"): _properties(s) for s in suites}
    assert round(sum(float(p["contribution"]) for p in shares.values()), 2) == MIA_TOTAL
    assert shares["dockerfiles.webserver"] == {
        "student": "mia",
        "points": "7",
        "max_points": "10",
        "weight": "20",
        "contribution": "14",
        "status": "graded",
    }
    for exercise in MIA_MISSING:
        assert shares[exercise]["status"] == "not handed in" and shares[exercise]["contribution"] == "0"
        assert f"{exercise}  " in table and "not handed in" in table
    case = root.find("testsuite[@name='networks.cats-and-dogs']/testcase[@name='check_2']")
    assert case is not None and case.get("classname") == "mia.networks.cats-and-dogs"
    assert _properties(case) == {"points": "0", "max_points": "4"}
    assert case.get("time") == "0.250", "each check's own time"
