"""Per-student feedback files in Markdown: the total, each exercise's share of it, what passed,
what failed, what to try."""

from __future__ import annotations

from pathlib import Path

from grader.batch.adjust import notes
from grader.batch.gradebook import ExerciseGrade, Grade, score_text
from grader.model import failure
from grader.model.result import CheckResult, Result
from grader.safe_text import markdown_block, markdown_cell, markdown_code, markdown_inline, markdown_text
from grader.text import last_lines

LOG_LINES = 15
HIDDEN = "A hidden check: it shows what it expects, never what it found."
CONTRIBUTION = (
    "An exercise's contribution is its weight × its points ÷ its maximum; together they make the total."
)


def markdown(grade: Grade) -> str:
    """One student's feedback: the total and a line per exercise of the assignment, then each
    exercise handed in, in detail.

    Whatever a student controls (their folder's name, what their work printed,
    what the checks found) is escaped or fenced: it shows as text, never as Markdown.
    """
    lines = [f"# Feedback for {markdown_text(grade.student)}", "", *summary_markdown(grade), ""]
    for line in grade.exercises:
        if line.result is not None:
            lines.append(exercise_markdown(line.result, line))
    return "\n".join(lines).rstrip() + "\n"


def write(grade: Grade, folder: Path) -> Path:
    """Write `folder/<student>.md`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{grade.student}.md"
    path.write_text(markdown(grade), encoding="utf-8")
    return path


def summary_markdown(grade: Grade) -> list[str]:
    """The total and its percentage, then a table row per exercise (points, weight, contribution,
    status) whose contributions add up to the total, then what was not handed in."""
    handed_in = len(grade.results)
    lines = [
        f"**Total: {score_text(grade.total, grade.possible)}**"
        f" ({handed_in} of {len(grade.exercises)} exercises handed in)",
        "",
        "| Exercise | Points | Weight | Contribution | Status |",
        "|---|---:|---:|---:|---|",
        *(_row(line) for line in grade.exercises),
        f"| **Total** | | {grade.possible:g} | **{grade.total:g}** | {grade.percent:g}% |",
        "",
        CONTRIBUTION,
    ]
    if grade.missing:
        names = ", ".join(markdown_code(exercise) for exercise in grade.missing)
        lines += ["", f"**Not handed in** (each counts 0): {names}."]
    lines += [line for note in notes(grade) for line in ("", markdown_text(note))]
    return lines


def _row(line: ExerciseGrade) -> str:
    cells = [
        markdown_cell(line.exercise, code=True),
        line.points_text,
        f"{line.weight:g}",
        f"{line.adds:g}",
        markdown_cell(line.status),
    ]
    return "| " + " | ".join(cells) + " |"


def exercise_markdown(result: Result, line: ExerciseGrade | None = None) -> str:
    """The feedback for one result: its score and percentage, its checks, what went wrong, its
    output's end, advice. `line` (from a gradebook) gives the exercise's full marks and weight."""
    result = result.for_student()
    full = line.full if line is not None else result.max_score
    heading = f"## {markdown_text(result.exercise)}: {_score(result.score, full)}"
    if line is not None and line.weight != line.full:
        heading += f", {line.adds:g} of {line.weight:g} in the total"
    lines = [heading, ""]
    if result.failure is not None:
        lines += ["**What went wrong:**", "", *failure_markdown(result), ""]
    elif result.reason:
        lines += ["**What went wrong:**", "", *markdown_block(result.reason), ""]
    for check in result.checks:
        lines += _check(check)
    if result.log and result.failed and result.failure is None:
        lines += [
            "",
            "**The last lines of what it printed** (build or setup.sh):",
            "",
            *markdown_block(last_lines(result.log, LOG_LINES)),
        ]
    if result.advice:
        lines += ["", "**Advice** (no points lost):", ""]
        lines += [f"- {markdown_inline(advice)}" for advice in result.advice]
    return "\n".join(lines) + "\n"


def _score(points: float, full: float) -> str:
    """ "7/10 (70%)", or "0/0" when there was nothing to score."""
    return score_text(points, full) if full else f"{points:g}/{full:g}"


def _check(check: CheckResult) -> list[str]:
    name = markdown_text(check.name.replace("_", " "))
    expected = markdown_inline(check.expected)
    if check.passed:
        return [f"- ✅ **{name}** ({check.points:g}/{check.max_points:g}): {expected}"]
    if check.not_run:
        return [f"- ⏭️ **{name}** (0/{check.max_points:g}): not run: {markdown_inline(check.found)}"]
    lines = [f"- ❌ **{name}** (0/{check.max_points:g})", f"  - Expected: {expected}"]
    if check.hidden:
        return [*lines, f"  - {HIDDEN}"]
    first, *rest = found_markdown(check.found)
    lines += [f"  - {first}", *(f"    {line}".rstrip() for line in rest)]
    if check.hint:
        lines.append(f"  - Hint: {markdown_inline(check.hint)}")
    if check.reproduce:
        lines.append(f"  - Try it yourself: {markdown_code(check.reproduce)}")
    return lines


def failure_markdown(result: Result) -> list[str]:
    """The failure block (grader.model.failure.block) as Markdown lines: course words, printed output fenced.
    Give it a result's `for_student()`."""
    lines: list[str] = []
    for kind, text in failure.block(result):
        lines += [*markdown_block(text), ""] if kind == "block" else [markdown_inline(text), ""]
    return lines[:-1]


def found_markdown(found: str) -> list[str]:
    """What a check found, as Markdown lines: one line of words (its `code` kept), or a code block."""
    found = found.strip("\r\n")
    if not found.strip():
        return ["Found: something else"]
    if "\n" not in found:
        return [f"Found: {markdown_inline(found)}"]
    return ["Found:", *markdown_block(found)]
