"""The class report: histograms, most failed checks, a page per student; in Chromium, the CSV's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader import gradebook
from grader.assignment import Assignment, Item
from grader.gradebook import Gradebook
from grader.outputs import class_report
from grader.outputs.class_report import Bin

ASSIGNMENT = Assignment(
    "week <3>", (Item("dockerfiles.hello", 10), Item("dockerfiles.webserver")), "2026-12-01T23:59:00+00:00"
)


def test_histogram_counts_scores_in_equal_bins_the_top_score_in_the_last() -> None:
    bins = class_report.histogram([0, 0.5, 5, 9.99, 10, 10], 10, bins=5)
    assert [b.count for b in bins] == [2, 0, 1, 0, 3]
    assert (bins[0], bins[-1]) == (Bin(0, 2, 2), Bin(8, 10, 3))
    assert class_report.histogram([0, 0], 0) == [Bin(0, 0, 2)]


def test_most_failed_checks_come_first_with_how_many_were_graded(book: Gradebook) -> None:
    assert class_report.most_failed(book) == [
        ("dockerfiles.hello", "prints_hello", 1, 2),
        ("dockerfiles.hello", "secret", 1, 2),
        ("dockerfiles.webserver", "serves", 1, 1),
    ]


def test_a_page_per_student_with_everything_for_the_instructor(book: Gradebook, tmp_path: Path) -> None:
    index = class_report.write(book, ASSIGNMENT, tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    assert sorted(p.name for p in index.parent.iterdir()) == [
        "ana.html",
        "ben.html",
        "chloe.html",
        "index.html",
    ]
    ben = (index.parent / "ben.html").read_text()
    assert "SECRET-FOUND" in ben, "the instructor sees what hidden checks found"
    assert "<script>" not in ben and "&lt;script&gt;" in ben
    assert "The sandbox did not start." in ben
    chloe = (index.parent / "chloe.html").read_text()
    assert "dockerfiles.hello: not handed in." in chloe
    page = index.read_text()
    assert "week &lt;3&gt;" in page and "<3>" not in page
    assert "<script" not in page


@pytest.mark.slow
def test_the_report_renders_in_chromium_and_its_numbers_are_the_csv_s(
    book: Gradebook, tmp_path: Path, browser: object
) -> None:
    index = class_report.write(book, ASSIGNMENT, tmp_path / "report")
    with gradebook.write_csv(book, tmp_path / "gradebook.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request", lambda request: errors.append(request.url) if not request.url.startswith("file:") else None
    )

    page.goto(index.as_uri())

    assert page.title() == "Gradebook: week <3>"
    header = page.locator("#gradebook thead th").all_inner_texts()
    shown = [header, *(r.split("\t") for r in page.locator("#gradebook tbody tr").all_inner_texts())]
    assert [[cell.strip() for cell in row] for row in shown] == rows
    for exercise in book.exercises:
        section = page.locator(f'section.distribution[data-exercise="{exercise}"]')
        assert section.is_visible()
        counts = [
            int(c) for c in section.locator(".bar").evaluate_all("bars => bars.map(b => b.dataset.count)")
        ]
        assert sum(counts) == sum(exercise in results for results in book.students.values())
        heights = section.locator(".bar").evaluate_all(
            "bars => bars.map(b => b.getBoundingClientRect().height)"
        )
        assert max(heights) > 0, "the tallest bar is drawn"
    failed = page.locator("#most-failed tbody tr").all_inner_texts()
    assert failed[0].split("\t") == ["dockerfiles.hello", "prints hello", "1", "2"]

    page.click("text=ben")
    total = page.locator("#total").inner_text()
    ben = next(row for row in rows if row[0] == "ben")
    assert total == f"{ben[-2]}/{ben[-1]}"
    assert page.url.endswith("/report/ben.html")
    assert errors == [], "no script errors and nothing fetched"
    page.close()
