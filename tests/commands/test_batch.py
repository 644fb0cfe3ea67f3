"""`grader batch`: a class graded once, resumed after Ctrl-C or kill, regraded on demand."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from click.testing import CliRunner

from grader import leftovers, store
from grader.cli import main as cli
from grader.commands import batch
from grader.exercise import ROOT_VARIABLE

FIXTURE_EXERCISES = Path(__file__).parent.parent / "fixtures" / "exercises"
RIGHT = 'FROM busybox\nCMD ["echo", "ok"]\n'
WRONG = 'FROM busybox\nCMD ["echo", "no"]\n'
BROKEN = "FORM busybox\n"
GRADER = Path(sys.executable).parent / "grader"


@pytest.fixture(autouse=True)
def fixture_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grade against the small exercises in tests/fixtures/exercises."""
    monkeypatch.setenv(ROOT_VARIABLE, str(FIXTURE_EXERCISES))


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def _class(root: Path, dockerfiles: dict[str, str], exercise_id: str = "tiny.echo") -> Path:
    for student, text in dockerfiles.items():
        folder = root / "submitted" / student / exercise_id
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text(text)
    return root


def _results(out: Path) -> dict[tuple[str, str], store.Stored]:
    return {(s.student, s.exercise_id): s for s in store.load_all(out)}


def _mtimes(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (out / "results").glob("*/*.json")}


def _csv(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def grader(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["batch", *args], env={"COLUMNS": "200", "NO_COLOR": "1"})
    return done.exit_code, " ".join(done.output.split())


# -- what is wrong is said, exit 2, nothing graded ------------------------------


def test_an_unknown_exercise_names_the_known_ones(tmp_path: Path) -> None:
    code, output = grader(str(_class(tmp_path, {"ana": RIGHT})), "--exercise", "tiny.ecko")
    assert code == 2
    assert "There is no exercise 'tiny.ecko'. Known exercises: tiny.catserver, tiny.echo." in output


def test_an_assignment_with_an_unknown_exercise_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "w"\n[[exercises]]\nid = "dockerfiles.hello"\n')
    code, output = grader(str(_class(tmp_path, {"ana": RIGHT})), "--assignment", str(tmp_path / "a.toml"))
    assert code == 2
    assert "there is no exercise 'dockerfiles.hello'. Known exercises: tiny.catserver, tiny.echo." in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "empty", "says"),
    [
        (
            ["--exercise", "tiny.echo", "--assignment", "{a}"],
            False,
            "an assignment file or --exercise, not both",
        ),
        (["--regrade", "zoe"], False, "No student zoe in"),
        (["--exercise", "tiny.echo"], True, "holds no student folders"),
        ([], True, "No submission of a known exercise in"),
    ],
)
def test_bad_options_exit_2_with_a_message(tmp_path: Path, args: list[str], empty: bool, says: str) -> None:
    (tmp_path / "a.toml").write_text('name = "w"\n[[exercises]]\nid = "tiny.echo"\n')
    root = tmp_path / "class"
    _class(root, {} if empty else {"ana": RIGHT})
    root.mkdir(exist_ok=True)
    filled = [arg.format(a=tmp_path / "a.toml") for arg in args]
    code, output = grader(str(root), *filled, "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert says in output
    assert not (tmp_path / "out" / "results").exists()


# -- grading against the real engine ---------------------------------------------


@pytest.mark.docker
@pytest.mark.slow
def test_a_class_is_graded_then_only_what_changed_or_was_asked_is_graded_again(
    tmp_path: Path, leaves_nothing: None
) -> None:
    root = _class(tmp_path, {"ana": RIGHT, "ben": WRONG, "chloe": BROKEN})
    (root / "submitted" / "david").mkdir()
    out = tmp_path / "out"

    assert batch.main(submissions=root, out=out, jobs=2) == 0

    results = _results(out)
    assert {k: (v.result.status, v.result.score) for k, v in results.items()} == {
        ("ana", "tiny.echo"): ("graded", 4),
        ("ben", "tiny.echo"): ("graded", 1),
        ("chloe", "tiny.echo"): ("graded", 0),
    }
    rows = _csv(out)
    assert rows["ana"] == {"student": "ana", "tiny.echo": "4", "total": "4", "possible": "4"}
    assert rows["david"] == {"student": "david", "tiny.echo": "", "total": "0", "possible": "4"}
    book = json.loads((out / "gradebook.json").read_text())
    ben = next(s for s in book["students"] if s["student"] == "ben")
    assert ben["exercises"]["tiny.echo"]["result"]["score"] == 1
    assert ben["exercises"]["tiny.echo"]["base_images"]["busybox:latest"].startswith("sha256:")
    assert "Expected: The image prints `ok`." in (out / "feedback" / "ben.md").read_text()
    for student in ("ana", "ben", "chloe", "david"):
        for path in (
            f"feedback/{student}.html",
            f"junit/{student}.xml",
            f"gradescope/{student}/results.json",
            f"report/{student}.html",
        ):
            assert (out / path).is_file(), path
    assert json.loads((out / "gradescope" / "ben" / "results.json").read_text())["score"] == 1
    assert "tiny.echo" in (out / "report" / "index.html").read_text()

    first = _mtimes(out)
    assert batch.main(submissions=root, out=out, jobs=2, quiet=True) == 0
    assert _mtimes(out) == first, "an unchanged class is not graded again"

    (root / "submitted" / "ana" / "tiny.echo" / "notes.txt").write_text("changed\n")
    assert batch.main(submissions=root, out=out, jobs=2, regrade=["ben"]) == 0
    again = _mtimes(out)
    changed = {path.parent.name for path in first if again[path] != first[path]}
    assert changed == {"ana", "ben"}, "ana changed her files, ben was asked for; chloe stays"


@pytest.mark.docker
@pytest.mark.slow
def test_a_flat_class_of_a_setup_exercise(
    tmp_path: Path, leaves_nothing: None, catserver_script: object
) -> None:
    for student, token in (("ana", "meow"), ("ben", "")):
        (tmp_path / student).mkdir()
        script = catserver_script(token) if token else "docker network create learning\n"  # type: ignore[operator]
        (tmp_path / student / "setup.sh").write_text(script)
    out = tmp_path / "out"
    assert batch.main(submissions=tmp_path, out=out, exercise_ids=["tiny.catserver"], jobs=2, quiet=True) == 0
    rows = _csv(out)
    assert (rows["ana"]["tiny.catserver"], rows["ben"]["tiny.catserver"]) == ("4", "0")


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_a_stopped_batch_keeps_what_it_finished_and_the_rerun_does_the_rest(
    tmp_path: Path, host_engine: docker.DockerClient, signum: int
) -> None:
    students = {"ana": RIGHT, "ben": WRONG, "chloe": RIGHT, "david": BROKEN, "emma": WRONG}
    root = _class(tmp_path, students)
    out = tmp_path / "out"
    command = [str(GRADER), "batch", str(root), "--out", str(out), "--jobs", "2", "--quiet"]
    orphans_before = set(leftovers.find(host_engine))

    running = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not _mtimes(out) and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if signum == signal.SIGINT:
        os.killpg(running.pid, signum)  # as a terminal does: the grader and its workers
    else:
        running.send_signal(signum)  # as kill does: the grader alone
    output, _ = running.communicate(timeout=120)

    assert running.returncode == batch.INTERRUPTED, output
    assert "run the same command again" in output
    assert "Traceback" not in output
    kept = _mtimes(out)
    assert 1 <= len(kept) < len(students), "stopped after the first result, before the last"
    assert not list((out / "results").glob("*/.*")), "no half-written result"
    assert set(leftovers.find(host_engine)) - orphans_before == set(), "the stopped runs left nothing"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{len(students) - len(kept)} graded, {len(kept)} unchanged and kept" in rerun.stdout
    results = _results(out)
    assert sorted(results) == [(student, "tiny.echo") for student in sorted(students)]
    assert {path: _mtimes(out)[path] for path in kept} == kept, "what was finished is not graded again"
    assert results[("ana", "tiny.echo")].result.score == 4
    assert results[("david", "tiny.echo")].result.score == 0
