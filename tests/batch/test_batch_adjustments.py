"""`grader batch --overrides FILE --roster FILE`: read before grading (a bad file exits 2, nothing
graded), applied to the outputs; here without an engine, on submissions that cannot be graded."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main as cli
from grader.model.exercise import ROOT_VARIABLE
from tests import hostile_trees

FIXTURE_EXERCISES = Path(__file__).parents[1] / "fixtures" / "exercises"


@pytest.fixture(autouse=True)
def fixture_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROOT_VARIABLE, str(FIXTURE_EXERCISES))


def _batch(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["batch", *args], env={"COLUMNS": "200", "NO_COLOR": "1"})
    return done.exit_code, " ".join(done.output.split())


def _class(root: Path) -> Path:
    folder = root / "submitted" / "mallory" / "tiny.echo"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM busybox\n")
    hostile_trees.deep(folder)  # cannot be graded: an error result, no engine needed
    (root / "submitted" / "mallory" / "timestamp.txt").write_text("2026-12-02 08:00:00 UTC\n")
    return root


def _assignment(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "week.toml"
    path.write_text(
        f'name = "week"\ndue = 2026-12-01T23:59:00Z\n{extra}[[exercises]]\nid = "tiny.echo"\nweight = 10\n'
    )
    return path


@pytest.mark.timeout(120)
def test_overrides_and_a_roster_reach_the_gradebook_and_the_feedback(tmp_path: Path) -> None:
    root = _class(tmp_path / "class")
    (tmp_path / "fixes.toml").write_text(
        '[[override]]\nstudent = "mallory"\nexercise = "tiny.echo"\npoints = 2\ncomment = "Graded by hand."\n'
    )
    (tmp_path / "roster.csv").write_text("student,id\nmallory,u-42\n")
    out = tmp_path / "out"
    try:
        code, output = _batch(
            str(root),
            "--assignment",
            str(_assignment(tmp_path)),
            "--out",
            str(out),
            "--overrides",
            str(tmp_path / "fixes.toml"),
            "--roster",
            str(tmp_path / "roster.csv"),
        )
        assert code == 0, output
        with (out / "gradebook.csv").open(newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][:3] == ["student", "id", "tiny.echo (max 0, weight 10)"]
        assert rows[3][:2] == ["mallory", "u-42"] and rows[3][-2:] == ["error", "1"], "late by a day"
        record = json.loads((out / "results" / "mallory" / "tiny.echo.json").read_text())
        assert record["submitted"] == {"at": "2026-12-02T08:00:00+00:00", "source": "timestamp.txt"}
        assert "Graded by hand." in (out / "feedback" / "mallory.md").read_text()
        data = json.loads((out / "gradebook.json").read_text())
        assert data["students"][0]["adjustments"]["tiny.echo"]["override"]["points"] == 2
        assert "timestamp.txt" in (out / "report" / "mallory.html").read_text()
    finally:
        hostile_trees.unnest(root / "submitted" / "mallory" / "tiny.echo")


@pytest.mark.parametrize(
    ("fixes", "says"),
    [
        (
            '[[override]]\nstudent = "zoe"\nexercise = "tiny.echo"\npoints = 1\n',
            "no student zoe in the class",
        ),
        ('[[override]]\nstudent = "mallory"\nexercise = "tiny.echo"\n', "give either points"),
    ],
)
def test_a_bad_overrides_file_named_by_the_assignment_exits_2_before_grading(
    tmp_path: Path, fixes: str, says: str
) -> None:
    root = tmp_path / "class"
    (root / "submitted" / "mallory" / "tiny.echo").mkdir(parents=True)
    (tmp_path / "fixes.toml").write_text(fixes)
    week = _assignment(tmp_path, 'overrides = "fixes.toml"\n')
    code, output = _batch(str(root), "--assignment", str(week), "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert says in output and str(tmp_path / "fixes.toml") in output
    assert not (tmp_path / "out" / "results").exists()
