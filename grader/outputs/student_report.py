"""The instructor's page for one student: their grade, then per exercise handed in what was graded
(status, duration, when graded and handed in), the submitted Dockerfile or setup.sh with line numbers,
links to the student's own feedback and the stored result, the `grader replay` command, and every
check, hidden ones included. Everything a submission controls is escaped."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grader.batch import adjust, store
from grader.batch.gradebook import ExerciseGrade, Gradebook
from grader.outputs.feedback_html import exercise_section, summary
from grader.outputs.html import page, score, text
from grader.sandbox import walk

SUBMITTED_FILES = ("Dockerfile", "setup.sh")
MAX_SHOWN_BYTES = 256 * 1024
Records = Mapping[tuple[str, str], Mapping[str, Any]]


def href(*parts: str) -> str:
    """A relative address from path parts, each percent-encoded but for letters, digits and `_.-~`:
    no name can become a scheme (`javascript:`) or a path elsewhere; the undecodable bytes of a
    folder name are encoded as the bytes they are."""
    return "/".join(quote(part, safe="", errors="surrogateescape") for part in parts)


def student_page(book: Gradebook, student: str, records: Records, out: Path) -> str:
    """Everything graded for one student (`out`: the batch's folder, for the replay command)."""
    grade = book.grade(student)
    sections = [
        _exercise(line, records.get((student, line.exercise), {}), student, out)
        for line in grade.exercises
        if line.result
    ]
    feedback = href("..", "feedback", f"{student}.html")
    body = [
        '<p><a href="index.html">← the class</a></p>',
        f"<h1>{text(student)}</h1>",
        f'<p>Status: <strong class="student-status">{text(grade.status)}</strong>.'
        f' <a href="{feedback}">The student\'s feedback</a> (what they read).</p>',
        summary(grade),
        *sections,
    ]
    return page(f"{student}: {score(grade.total, grade.possible)}", "\n".join(body))


def _exercise(line: ExerciseGrade, record: Mapping[str, Any], student: str, out: Path) -> str:
    assert line.result is not None
    stored = store.path_of(out, student, line.exercise)
    json_link = href("..", store.RESULTS, student, f"{line.exercise}.json")
    replay = f"grader replay {shlex.quote(str(stored.absolute()))}"
    facts = [
        ("Status", line.result.status),
        ("Points", _points(line)),
        ("Duration", f"{line.result.duration_s:.1f} s"),
        ("Graded at", str(record.get("graded_at", "not recorded"))),
        ("Handed in", _handed_in(line, record)),
    ]
    rows = "".join(f"<tr><th>{text(name)}</th><td>{text(value)}</td></tr>" for name, value in facts)
    parts = [
        f'<table class="facts" data-exercise="{text(line.exercise)}">{rows}</table>',
        f'<p><a href="{json_link}">The stored result (JSON)</a>. Grade it again:</p>',
        f'<pre class="replay">{text(replay)}</pre>',
        submitted_file(Path(str(record.get("submission", {}).get("path", "")))),
    ]
    section = exercise_section(line.result, for_student=False, line=line)
    section = section.replace("</h2>", "</h2>\n" + "\n".join(parts), 1)  # under the exercise's heading
    return f'<div class="exercise" id="{text(line.exercise)}">\n{section}\n</div>'


def _points(line: ExerciseGrade) -> str:
    shown = f"{line.points:g}/{line.full:g}"
    if line.adjusted:
        shown += f" (graded {line.raw:g}, adjusted)"
    return shown


def _handed_in(line: ExerciseGrade, record: Mapping[str, Any]) -> str:
    when = adjust.submitted_of(record)
    if not when["at"]:
        return "not known"
    late = f", {line.late_days} day(s) late" if line.late_days else ""
    return f"{when['at']} (from {when['source']}){late}"


def submitted_file(folder: Path) -> str:
    """The submitted Dockerfile or setup.sh, numbered, escaped; read without following a link and
    bounded in size; a sentence when there is none to show."""
    for name in SUBMITTED_FILES:
        content = _read(folder / name) if str(folder) not in ("", ".") else None
        if content is not None:
            return f"<p>The submitted <code>{name}</code>:</p>\n{numbered(content)}"
    return '<p class="muted">No Dockerfile or setup.sh to show (the folder has none now, or is gone).</p>'


def _read(path: Path) -> str | None:
    try:
        with walk.open_regular(path) as handle:
            data = handle.read(MAX_SHOWN_BYTES + 1)
    except OSError:
        return None
    shown = data[:MAX_SHOWN_BYTES].decode("utf-8", errors="replace")
    return shown + ("\n[… cut at 256 KiB]" if len(data) > MAX_SHOWN_BYTES else "")


def numbered(content: str) -> str:
    """Text as a table of numbered lines (the numbers are not copied with the text)."""
    lines = content.splitlines() or [""]
    rows = "".join(
        f'<tr><td class="line-number" data-line="{number}"></td><td>{text(line) or " "}</td></tr>'
        for number, line in enumerate(lines, 1)
    )
    return f'<table class="source"><tbody>{rows}</tbody></table>'
