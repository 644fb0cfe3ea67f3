"""JUnit XML per student, for CI systems: a testsuite per exercise, a testcase per check.

Students read these (GitHub-style autograding shows them), so hidden checks
give only what they expect. Characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from grader.result import CheckResult, Result
from grader.text import last_lines

NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LOG_LINES = 15


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (escapes, NUL...)."""
    return NOT_XML.sub("", text)


def document(student: str, results: list[Result]) -> str:
    """The JUnit XML of one student's results."""
    suites = [suite(result.for_student()) for result in sorted(results, key=lambda r: r.exercise)]
    root = ElementTree.Element("testsuites", name=clean(student))
    root.extend(suites)
    _count(root, suites)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write(student: str, results: list[Result], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{student}.xml"
    path.write_text(document(student, results), encoding="utf-8")
    return path


def suite(result: Result) -> ElementTree.Element:
    """One exercise: a testcase per check, and an error case when grading did not finish."""
    element = ElementTree.Element("testsuite", name=result.exercise, time=f"{result.duration_s:.3f}")
    cases = [_case(result.exercise, check) for check in result.checks]
    if result.status != "graded":
        cases.append(_grading_error(result))
    element.extend(cases)
    if result.log and result.failed:
        ElementTree.SubElement(element, "system-out").text = clean(last_lines(result.log, LOG_LINES))
    _count(element, cases)
    return element


def _case(exercise: str, check: CheckResult) -> ElementTree.Element:
    case = ElementTree.Element("testcase", classname=exercise, name=check.name, time="0")
    if not check.passed:
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


def _grading_error(result: Result) -> ElementTree.Element:
    case = ElementTree.Element("testcase", classname=result.exercise, name="grading", time="0")
    reason = result.reason or result.status
    error = ElementTree.SubElement(case, "error", message=clean(reason.splitlines()[0]), type=result.status)
    error.text = clean(reason)
    return case


def _count(element: ElementTree.Element, parts: list[ElementTree.Element]) -> None:
    """Set tests, failures and errors on `element` from its testcases or testsuites."""
    if element.tag == "testsuite":
        totals = {
            "tests": len(parts),
            "failures": sum(case.find("failure") is not None for case in parts),
            "errors": sum(case.find("error") is not None for case in parts),
        }
    else:
        totals = {
            name: sum(int(part.get(name, "0")) for part in parts) for name in ("tests", "failures", "errors")
        }
        element.set("time", f"{sum(float(part.get('time', '0')) for part in parts):.3f}")
    for name, value in totals.items():
        element.set(name, str(value))
