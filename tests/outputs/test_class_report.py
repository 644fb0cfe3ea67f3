"""The class report: histograms with counts, each check's pass rate, who needs attention, a page per
student with the submitted file and how to replay it; in Chromium, its numbers are the CSV's, the
total column is in view at 1280 px, and screenshots are kept in build/screenshots/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader.batch import adjust
from grader.batch.assignment import Assignment, Item, LatePenalty
from grader.batch.gradebook import Gradebook
from grader.batch.overrides import Override
from grader.model.result import CheckResult, Result
from grader.outputs import class_report, gradebook_csv, report_stats, student_report
from grader.outputs.report_stats import Bin
from tests.outputs.conftest import HOSTILE_NAMES
from tests.results import WEIGHTS, dangerous_in, hostile_result, scored

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ASSIGNMENT = Assignment(
    "week <3>", (Item("dockerfiles.hello", 10), Item("dockerfiles.webserver")), "2026-12-01T23:59:00+00:00"
)


def test_whole_scores_get_a_bar_each_full_marks_its_own_never_a_lower_label() -> None:
    bins = class_report.histogram([0, 5, 9, 10, 10], 10)
    assert [b.label for b in bins] == [str(n) for n in range(11)]
    assert (bins[10], bins[9]) == (Bin(10, 10, 2), Bin(9, 9, 1)), "10/10 is counted under 10"
    assert sum(b.count for b in bins) == 5


def test_other_scores_fall_in_equal_ranges_then_full_marks() -> None:
    bins = class_report.histogram([0, 0.5, 5, 9.99, 10, 10], 10, bins=5)
    assert [b.count for b in bins] == [2, 0, 1, 0, 1, 2]
    assert (bins[0].label, bins[-2].label, bins[-1].label) == ("0–2", "8–10", "10")
    assert bins[-2].words == "1 scored 8 to under 10" and bins[-1].words == "2 scored 10"
    assert class_report.histogram([0, 0], 0) == [Bin(0, 0, 2)]
    assert [b.count for b in class_report.histogram([100, 28.3, 0], 100)][-1] == 1


def test_each_check_s_pass_rate_splits_failed_from_not_run(book: Gradebook) -> None:
    rates = {(r.exercise, r.check): r for r in report_stats.check_rates(book)}
    hello = rates[("dockerfiles.hello", "prints_hello")]
    assert (hello.passed, hello.failed, hello.not_run, hello.rate) == (["ana"], ["ben"], [], 50)
    serves = rates[("dockerfiles.webserver", "serves")]
    assert (serves.passed, serves.failed, serves.not_run) == ([], [], ["ana"]), "a timeout ran nothing"


def test_who_needs_attention_gravest_first(book: Gradebook) -> None:
    found = [(c.kind, c.student) for c in report_stats.concerns(book)]
    assert found == [("error", "ben"), ("timeout", "ana"), ("missing", "chloe")]
    (error,) = [c for c in report_stats.concerns(book) if c.kind == "error"]
    assert error.what == "dockerfiles.webserver: error: The sandbox did not start."


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
    assert (
        "<code>dockerfiles.hello</code>, <code>dockerfiles.webserver</code>."
        in chloe.split("Not handed in")[1]
    )
    assert '<strong id="total">0/14</strong> (0%)' in chloe
    page = index.read_text()
    assert "week &lt;3&gt;" in page and "<3>" not in page
    assert "<script" not in page and "default-src 'none'" in page


def test_the_student_page_shows_the_submission_numbered_its_facts_links_and_replay(
    book: Gradebook, tmp_path: Path
) -> None:
    folder = tmp_path / "submitted" / "ben's" / "dockerfiles.hello"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text('FROM busybox\nCMD ["echo", "<script>alert(1)</script>\x1b[2J"]\n')
    records = {
        ("ben", "dockerfiles.hello"): {
            "graded_at": "2026-12-02T08:00:00+00:00",
            "submission": {"path": str(folder)},
            "submitted": {"at": "2026-12-01T20:00:00+00:00", "source": "timestamp.txt"},
        }
    }
    out = tmp_path / "out"
    page = student_report.student_page(book, "ben", records, out)
    assert (
        '<td class="line-number" data-line="2"></td><td>CMD [&quot;echo&quot;, &quot;&lt;script&gt;' in page
    )
    assert "␛[2J" in page and "\x1b" not in page
    assert (
        "<th>Duration</th><td>1.5 s</td>" in page
        and "<th>Graded at</th><td>2026-12-02T08:00:00+00:00" in page
    )
    assert "2026-12-01T20:00:00+00:00 (from timestamp.txt)" in page
    assert 'href="../feedback/ben.html"' in page and 'href="../results/ben/dockerfiles.hello.json"' in page
    stored = out.absolute() / "results" / "ben" / "dockerfiles.hello.json"
    assert f'<pre class="replay">grader replay {stored}</pre>' in page
    assert "No Dockerfile or setup.sh to show" in page, "the webserver's folder is not known"


def test_a_dockerfile_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("root:x:0:0\n")
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "secret")
    assert "root:x" not in student_report.submitted_file(tmp_path)


def test_a_hostile_class_is_text_on_every_page(hostile_book: Gradebook, tmp_path: Path) -> None:
    index = class_report.write(hostile_book, ASSIGNMENT, tmp_path / "report")
    pages = sorted(index.parent.iterdir())
    assert len(pages) == len(HOSTILE_NAMES) + 1
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not dangerous_in(text), (page.name, dangerous_in(text))
        assert "<script" not in text and "<img" not in text and "javascript:" not in text.split("<body")[0]
    home = index.read_text(encoding="utf-8")
    assert "evil␛]0;pwned␇␛[2J" in home, "the name is shown, its escapes visible"
    assert 'href="%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html"' in home
    assert 'href="evil%1B%5D0%3Bpwned%07%1B%5B2J.html"' in home, "the link leads to the student's file"
    assert (index.parent / "evil\x1b]0;pwned\x07\x1b[2J.html").is_file()


def test_an_undecodable_folder_name_links_to_its_page(tmp_path: Path) -> None:
    name = "caf\udcc3"  # the byte 0xC3 alone, as Python names such a folder
    book = Gradebook.of([(name, hostile_result())], weights={"dockerfiles.hello": 10})
    index = class_report.write(book, ASSIGNMENT, tmp_path / "report")
    assert 'href="caf%C3.html">caf\\xc3</a>' in index.read_text(encoding="utf-8")


# -- a class of fourteen, seven exercises with long names: the page in Chromium --

BIG = Assignment(
    "week-1",
    tuple(Item(e, w) for e, w in WEIGHTS.items()),
    "2026-12-01T23:59:00+00:00",
    LatePenalty(10, 50),
    {"noor": "2026-12-05T00:00:00+00:00"},
    overrides=(Override("lena", "dockerfiles.hello", points=10, comment="Checked by hand."),),
)
NAMES = ["ana", "ben", "chloe", "dmitri", "emma", "farid", "grace", "hugo", "ines", "jonas-maximilian-long"]
NAMES += ["kim", "lena", "mo", "noor"]


def _big_class() -> tuple[Gradebook, dict[tuple[str, str], dict[str, object]]]:
    graded: list[tuple[str, Result]] = []
    records: dict[tuple[str, str], dict[str, object]] = {}
    for n, student in enumerate(NAMES):
        for k, exercise in enumerate(WEIGHTS):
            if (n + k) % 7 == 6:
                continue  # not handed in
            right = (n * 3 + k) % 5
            result = scored(exercise, [(2, right > 0), (3, right > 1), (5, right > 2 or n % 2 == 0)])
            if (n, k) in ((2, 1), (8, 3)):
                result = Result(
                    exercise,
                    "s",
                    status="error",
                    reason="The build failed.",
                    checks=[
                        CheckResult(
                            c.name, c.max_points, passed=False, expected=c.expected, found="not built"
                        )
                        for c in result.checks
                    ],
                )
            graded.append((student, result))
            day = 2 + n % 3 if n in (3, 13) else 1
            records[(student, exercise)] = {
                "submitted": {"at": f"2026-12-0{day}T12:00:00+00:00", "source": "mtime"}
            }
    book = Gradebook.of(graded, weights=BIG.weights, students=["zoe-empty"])
    return Gradebook(
        book.exercises, book.students, book.weights, book.points, adjust.adjustments(BIG, records)
    ), records


def test_the_big_class_s_index_counts_late_work_overrides_and_errors() -> None:
    book, _ = _big_class()
    kinds = {c.kind for c in report_stats.concerns(book)}
    assert kinds == {"error", "zero", "missing", "late"}
    page = class_report.index_page(book, BIG)
    assert "1 override(s) applied." in page and "Late work loses 10% per started day, at most 50%." in page


def _screenshot(page: object, name: str, *, full_page: bool = True) -> Path:
    """Keep a screenshot in build/screenshots/ (git ignores build/), to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path


@pytest.mark.slow
def test_the_report_renders_in_chromium_its_totals_are_the_csv_s_and_in_view_at_1280(
    tmp_path: Path, browser: object
) -> None:
    book, records = _big_class()
    index = class_report.write(book, BIG, tmp_path / "report", records)
    with gradebook_csv.write(book, tmp_path / "gradebook.csv").open(newline="") as handle:
        rows = {row[0]: row for row in list(csv.reader(handle))[3:]}
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda r: errors.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(index.as_uri())

    assert page.title() == "Gradebook: week-1"
    for row in page.locator("#gradebook tbody tr").all():
        cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
        csv_row = rows[cells[0]]
        assert cells[1:4] == [f"{csv_row[8]}/{csv_row[9]}", csv_row[10], csv_row[11]], "total, %, status"
    _screenshot(page, "report-index-1280.png")
    _screenshot(page, "report-index-1280-top.png", full_page=False)
    for cell in page.locator("#gradebook th.total, #gradebook td.total").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, "the total column is in view"
    table = page.locator("#gradebook").bounding_box()
    assert table is not None and table["x"] + table["width"] <= 1280, "the whole table fits at 1280 px"
    assert page.locator("#gradebook tfoot tr.summary th").inner_text().startswith("Class mean (15)")
    assert "nothing handed in" in page.locator(".legend").inner_text()
    for section in page.locator("section.distribution").all():
        counts = [int(c) for c in section.locator(".bar").evaluate_all("bs => bs.map(b => b.dataset.count)")]
        shown = [int(t) for t in section.locator(".bar .count").all_inner_texts()]
        assert counts == shown, "every bar writes its count"
    totals = page.locator('section[data-exercise="total"] .bar').evaluate_all(
        "bs => bs.map(b => Number(b.dataset.count))"
    )
    assert sum(totals) == 15, "every student in the totals' histogram"
    page.locator("#needs-attention").scroll_into_view_if_needed()
    assert page.locator("#needs-attention tbody tr").count() >= 3
    assert page.locator("#checks td.not-run a").count() >= 1, "not run, with links to the students"

    page.click("#by-total-table a >> nth=0")
    assert page.url.endswith(".html") and page.locator("#total").is_visible()
    _screenshot(page, "report-student-1280.png", full_page=False)
    assert errors == [], "no script errors and nothing fetched"
    page.close()


@pytest.mark.slow
def test_a_student_page_in_chromium_numbers_the_dockerfile(
    book: Gradebook, tmp_path: Path, browser: object
) -> None:
    folder = tmp_path / "ben" / "dockerfiles.hello"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text('FROM busybox\nCOPY hello.sh /\nCMD ["/hello.sh"]\n')
    records = {
        ("ben", "dockerfiles.hello"): {
            "graded_at": "2026-12-02T08:00:00+00:00",
            "submission": {"path": str(folder)},
        }
    }
    index = class_report.write(book, ASSIGNMENT, tmp_path / "report", records)
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto((index.parent / "ben.html").as_uri())
    numbers = page.locator("table.source td.line-number").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert numbers == ['"1"', '"2"', '"3"']
    assert page.locator("table.source").inner_text().splitlines()[0].strip() == "FROM busybox"
    assert page.locator("pre.replay").first.inner_text().startswith("grader replay /")
    _screenshot(page, "report-student-dockerfile.png")
    page.close()
