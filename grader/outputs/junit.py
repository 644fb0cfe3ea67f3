"""JUnit XML per student, for CI systems: the total first, then a testsuite per exercise of the
assignment, a testcase per check.

The first testsuite, `<student>: total`, holds no test: its properties give the
total, the total possible and the percentage, and its output the table of every
exercise (points, weight, contribution, status). Each exercise's testsuite has
those four as properties; its testcases are named `<student>.<exercise>` (their
classname) and carry their points as properties and how long they ran. An
exercise not handed in is a testsuite whose one testcase fails: "not handed in", 0.

Students read these (GitHub-style autograding shows them), so hidden checks
give only what they expect. Every text, attributes included, goes through
`clean`: control characters show as visible marks (ESC as `␛`), and nothing
XML 1.0 cannot hold is left to break the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

from grader.batch.adjust import notes
from grader.batch.gradebook import ExerciseGrade, Grade, columns
from grader.model.failure import block
from grader.model.result import CheckResult, Result
from grader.safe_text import for_terminal, terminal_line, xml_text
from grader.text import last_lines

LOG_LINES = 15


def clean(text: str) -> str:
    """`text` as XML 1.0 can hold it: controls shown as visible marks, other illegal characters dropped."""
    return xml_text(text)


def document(grade: Grade) -> str:
    """The JUnit XML of one student's grade: the total's testsuite, then one per exercise."""
    suites = [suite(line, grade.student) for line in grade.exercises]
    root = ElementTree.Element("testsuites", name=clean(grade.student))
    root.append(total_suite(grade))
    root.extend(suites)
    _count(root, suites)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write(grade: Grade, folder: Path) -> Path:
    """Write `folder/<student>.xml`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{grade.student}.xml"
    path.write_text(document(grade), encoding="utf-8")
    return path


def total_suite(grade: Grade) -> ElementTree.Element:
    """A testsuite of no test that opens the file: the total and percentage, the table per exercise."""
    element = ElementTree.Element(
        "testsuite", name=clean(f"{grade.student}: total"), tests="0", failures="0", errors="0", time="0.000"
    )
    _properties(
        element,
        {
            "student": grade.student,
            "total": f"{grade.total:g}",
            "possible": f"{grade.possible:g}",
            "percent": f"{grade.percent:g}",
            "handed_in": f"{len(grade.results)} of {len(grade.exercises)}",
        },
    )
    ElementTree.SubElement(element, "system-out").text = clean("\n".join(summary_lines(grade)))
    return element


def summary_lines(grade: Grade) -> list[str]:
    """The total and percentage, then a line per exercise: points, weight, contribution, status."""
    rows = [["Exercise", "Points", "Weight", "Contribution", "Status"]]
    rows += [
        [line.exercise, line.points_text, f"{line.weight:g}", f"{line.adds:g}", line.status]
        for line in grade.exercises
    ]
    rows.append(["Total", "", f"{grade.possible:g}", f"{grade.total:g}", f"{grade.percent:g}%"])
    table = columns([[terminal_line(cell) for cell in row] for row in rows])
    head = f"Total: {grade.total:g}/{grade.possible:g} ({grade.percent:g}%)"
    return [head, "", *table, *(line for note in notes(grade) for line in ("", for_terminal(note)))]


def suite(line: ExerciseGrade, student: str = "") -> ElementTree.Element:
    """One exercise: a testcase per check, an error case when grading did not finish, a failed
    case when it was not handed in."""
    result = line.result.for_student() if line.result is not None else None
    time = f"{result.duration_s:.3f}" if result is not None else "0.000"
    element = ElementTree.Element("testsuite", name=clean(line.exercise), time=time)
    _properties(
        element,
        {
            "student": student,
            "points": f"{line.points:g}",
            "max_points": f"{line.full:g}",
            "weight": f"{line.weight:g}",
            "contribution": f"{line.adds:g}",
            "status": line.status,
        },
    )
    classname = f"{student}.{line.exercise}" if student else line.exercise
    if result is None:
        cases = [_not_handed_in(classname, line)]
    else:
        cases = [_case(classname, check) for check in result.checks]
        if result.failure is not None:
            cases.insert(0, _failure_case(classname, result))
        elif result.status != "graded":
            cases.append(_grading_error(classname, result))
    element.extend(cases)
    if result is not None and result.log and result.failed and result.failure is None:
        ElementTree.SubElement(element, "system-out").text = clean(last_lines(result.log, LOG_LINES))
    _count(element, cases)
    return element


def _properties(element: ElementTree.Element, values: Mapping[str, str]) -> None:
    properties = ElementTree.SubElement(element, "properties")
    for name, value in values.items():
        ElementTree.SubElement(properties, "property", name=name, value=clean(value))


def _case(classname: str, check: CheckResult) -> ElementTree.Element:
    case = ElementTree.Element(
        "testcase", classname=clean(classname), name=clean(check.name), time=f"{check.duration_s:.3f}"
    )
    _properties(case, {"points": f"{check.points:g}", "max_points": f"{check.max_points:g}"})
    if check.not_run:
        ElementTree.SubElement(case, "skipped", message=clean(f"not run: {check.found}"))
    elif not check.passed:
        failure = ElementTree.SubElement(case, "failure", message=clean(check.message), type="failed")
        failure.text = clean("\n".join(_details(check)))
    return case


def _details(check: CheckResult) -> list[str]:
    lines = [f"Expected: {check.expected}"]
    if not check.hidden:
        lines.append(f"Found: {check.found or 'something else'}")
        lines += [f"Hint: {check.hint}"] if check.hint else []
        lines += [f"Try it yourself: {check.reproduce}"] if check.reproduce else []
    return lines


def _not_handed_in(classname: str, line: ExerciseGrade) -> ElementTree.Element:
    case = ElementTree.Element("testcase", classname=clean(classname), name="handed_in", time="0.000")
    _properties(case, {"points": "0", "max_points": f"{line.full:g}"})
    message = f"Not handed in: it counts 0 of {line.weight:g}."
    ElementTree.SubElement(case, "failure", message=clean(message), type="not handed in").text = message
    return case


def failure_text(result: Result) -> str:
    """The failure block (grader.model.failure.block) as plain text: words, then output indented."""
    lines: list[str] = []
    for kind, text in block(result):
        shown = [f"    {line}".rstrip() for line in text.strip("\n").split("\n")]
        lines += shown if kind == "block" else [text]
    return "\n".join(lines)


def _failure_case(classname: str, result: Result) -> ElementTree.Element:
    """The build or the script that failed, first: its error's message is what happened."""
    assert result.failure is not None
    case = ElementTree.Element("testcase", classname=clean(classname), name="what_went_wrong", time="0.000")
    kind = "timeout" if result.status == "timeout" else "failed"
    error = ElementTree.SubElement(case, "error", message=clean(result.failure.what), type=kind)
    error.text = clean(failure_text(result))
    return case


def _grading_error(classname: str, result: Result) -> ElementTree.Element:
    case = ElementTree.Element("testcase", classname=clean(classname), name="grading", time="0.000")
    reason = result.reason or result.status
    first = (reason.splitlines() or [result.status])[0]
    error = ElementTree.SubElement(case, "error", message=clean(first), type=clean(result.status))
    error.text = clean(reason)
    return case


def _count(element: ElementTree.Element, parts: list[ElementTree.Element]) -> None:
    """Set tests, failures and errors on `element` from its testcases or testsuites."""
    if element.tag == "testsuite":
        totals = {
            "tests": len(parts),
            "failures": sum(case.find("failure") is not None for case in parts),
            "errors": sum(case.find("error") is not None for case in parts),
            "skipped": sum(case.find("skipped") is not None for case in parts),
        }
    else:
        totals = {
            name: sum(int(part.get(name, "0")) for part in parts)
            for name in ("tests", "failures", "errors", "skipped")
        }
        element.set("time", f"{sum(float(part.get('time', '0')) for part in parts):.3f}")
    for name, value in totals.items():
        element.set(name, str(value))
