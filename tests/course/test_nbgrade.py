"""nbgrader's round trip: generate, submit, autograde in sandboxes, feedback, export; the expected scores."""

from __future__ import annotations

import contextlib
import csv
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import nbformat
import pytest

from grader.commands import autograde
from grader.commands.batch import INTERRUPTED
from grader.course.notebook_sandbox import EXECUTED, NOT_RUN, SOURCE, mark_not_run
from grader.host.baseimages import notebook_kernel
from tests.conftest import copy_course, left_nothing
from tests.course.notebooks import nbgrader

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ASSIGNMENT = "01-run-flow"
NOTEBOOK = "run-flow.ipynb"
TIMEOUT_S = 60  # a kernel's start and 01's first cells, on a loaded machine
GRADER = str(Path(sys.executable).parent / "grader")
SOLUTION = re.compile(r"^### (BEGIN|END) SOLUTION\n", re.MULTILINE)
Answers = dict[str, str]  # grade_id of an answer cell -> what the student wrote (absent: the stub)


def _solutions(course: Path) -> Answers:
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {
        nbgrader(c)["grade_id"]: SOLUTION.sub("", c.source)
        for c in source.cells
        if nbgrader(c).get("solution")
    }


def _submit(course: Path, student: str, answers: Answers) -> None:
    """Hand in the released notebook with `answers` written in its answer cells."""
    student_version = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in student_version.cells:
        cell.source = answers.get(nbgrader(cell).get("grade_id", ""), cell.source)
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(student_version, folder / NOTEBOOK)


def _class(solved: Answers) -> dict[str, tuple[Answers, float]]:
    """Each student's answers and the score they must get (greeter 3, commit 10, tag 2 points)."""
    greeter, commit, tag = (solved[k] for k in ("runflow-greeter-answer", "commit-answer", "tag-answer"))
    return {
        "complete": (solved, 15),
        "partial": ({"runflow-greeter-answer": greeter, "commit-answer": commit}, 13),
        "broken": (
            {
                "runflow-greeter-answer": "raise RuntimeError('broken')",
                "commit-answer": commit,
                "tag-answer": tag,
            },
            12,
        ),
        "hanging": (
            {
                "runflow-greeter-answer": greeter,
                "commit-answer": "import time\ntime.sleep(10**6)",
                "tag-answer": tag,
            },
            3,
        ),
    }


@contextlib.contextmanager
def _container_events(host: docker.DockerClient) -> Iterator[list[dict[str, Any]]]:
    """The host engine's container events while in the block, read as they come: the engine keeps
    only its last 256 events for later queries, fewer than a class's autograde makes."""
    events: list[dict[str, Any]] = []
    stream = host.events(decode=True, filters={"type": "container"})

    def read() -> None:
        with contextlib.suppress(Exception):  # the stream's socket is closed under it at the end
            for event in stream:
                events.append(event)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield events
    finally:
        time.sleep(1)  # the last events of the run reach the stream
        stream.close()
        reader.join(5)


def _container_names(events: list[dict[str, Any]]) -> set[str]:
    return {event["Actor"]["Attributes"].get("name", "") for event in events}


def _most_kernels_at_once(events: list[dict[str, Any]]) -> int:
    """How many notebook kernel containers of this grader (its kernel image) ran at the same time."""
    running, most, image = 0, 0, notebook_kernel.image_tag()
    for event in sorted(events, key=lambda e: e["timeNano"]):
        attributes = event["Actor"]["Attributes"]
        if attributes.get("name", "").startswith("grader-kernel-") and attributes.get("image") == image:
            running += {"start": 1, "die": -1}.get(event["status"], 0)
            most = max(most, running)
    return most


PATCH_CHECK = """\
import grader.course.notebook

class FullMarks:
    def __repr__(self):
        return "100"

grader.course.notebook.check = grader.course.notebook.task = lambda *args, **kwargs: FullMarks()
"""
FORGE_EXECUTED = f"""\
import json, os

forged = json.load(open("{SOURCE}"))
for cell in forged["cells"]:
    if cell["cell_type"] == "code":
        graded = cell["metadata"].get("nbgrader", {{}}).get("grade")
        full = {{"output_type": "execute_result", "execution_count": 1, "metadata": {{}}}}
        full["data"] = {{"text/plain": "100"}}
        cell["execution_count"], cell["outputs"] = 1, [full] if graded else []
json.dump(forged, open("{EXECUTED}", "w"))
os.mkdir("{EXECUTED.replace(".ipynb", ".partial")}")  # the runner's next save fails: this file stays
"""


def _hostile_class(solved: Answers) -> dict[str, tuple[Answers, float]]:
    """Students who claim points without the work (0), and one who does all the work in the first
    answer, which then runs out of time: the check cells after the next one never ran (3 points)."""
    greeter, commit, tag = (solved[k] for k in ("runflow-greeter-answer", "commit-answer", "tag-answer"))
    return {
        "patcher": ({"runflow-greeter-answer": PATCH_CHECK}, 0),
        "forger": ({"runflow-greeter-answer": FORGE_EXECUTED}, 0),
        "early": (
            {
                "runflow-greeter-answer": "\n".join(
                    [greeter, *(a.removeprefix("%%bash\n") for a in (commit, tag)), "sleep 1000000"]
                ),
            },
            3,
        ),
    }


def _check_outputs(course: Path, student: str) -> list[str]:
    """The points each check cell of the student's autograded notebook shows (what feedback shows)."""
    graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return [
        _points_shown(cell)
        for cell in graded.cells
        if nbgrader(cell).get("grade") and not nbgrader(cell).get("solution")
    ]


def _points_shown(cell: nbformat.NotebookNode) -> str:
    """The points a graded cell shows, or its error's name."""
    return "".join(o.get("data", {}).get("text/plain", o.get("ename", "")) for o in cell.outputs)


@dataclass(frozen=True)
class Autograded:
    """One autograde of a class of 01's submissions, read by several tests."""

    course: Path
    expected: dict[str, float]
    scores: dict[str, float]
    events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def run_flow_class(tmp_path_factory: pytest.TempPathFactory, host_engine: docker.DockerClient) -> Autograded:
    """Honest students (complete, partial, broken, hanging) and hostile ones (`_hostile_class`) of 01
    autograded together, two at a time: one run of nbgrader's round trip serves every test below."""
    from grader.commands.notebooks import release

    course = copy_course(tmp_path_factory.mktemp("run-flow"))
    release(ASSIGNMENT, course=course)
    solved = _solutions(course)
    students = {**_class(solved), **_hostile_class(solved)}
    for student, (answers, _) in students.items():
        _submit(course, student, answers)
    with left_nothing(host_engine), _container_events(host_engine) as events:
        assert autograde.main(course=course, timeout_s=TIMEOUT_S, jobs=2) == 0
    with (course / "grades.csv").open(newline="") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    return Autograded(course, {student: points for student, (_, points) in students.items()}, scores, events)


def test_a_class_is_autograded_in_sandboxes_with_feedback_and_grades(run_flow_class: Autograded) -> None:
    assert run_flow_class.scores == run_flow_class.expected
    for student in run_flow_class.expected:
        assert (run_flow_class.course / "feedback" / student / ASSIGNMENT / "run-flow.html").is_file()


def test_two_notebooks_are_autograded_at_once_in_kernel_containers(run_flow_class: Autograded) -> None:
    assert _most_kernels_at_once(run_flow_class.events) == 2, "two notebooks ran side by side"
    names = _container_names(run_flow_class.events)
    assert {name for name in names if name.startswith("grader-kernel-")}, (
        "no notebook ran in a kernel container"
    )
    assert not {name for name in names if name.startswith("runflow-")}, (
        "a student's container ran on the host"
    )


def test_check_cells_are_scored_by_the_host_whatever_the_kernel_claims(run_flow_class: Autograded) -> None:
    hostile = ("patcher", "forger", "early")  # `_hostile_class`
    assert [run_flow_class.scores[student] for student in hostile] == [
        run_flow_class.expected[student] for student in hostile
    ]
    course = run_flow_class.course
    assert _check_outputs(course, "patcher") == ["0", "0", "0"], "the feedback shows the host's score"
    assert _check_outputs(course, "early") == ["3", NOT_RUN, NOT_RUN]


@pytest.mark.usefixtures("leaves_nothing")
def test_a_stopped_autograde_removes_its_sandboxes_and_keeps_no_half_graded_notebook(
    course_dir: Path, host_engine: docker.DockerClient
) -> None:
    from grader.commands.notebooks import release

    release(ASSIGNMENT, course=course_dir)
    hanging = {**_solutions(course_dir), "commit-answer": "import time\ntime.sleep(10**6)"}
    students = ["hugo", "ines", "jules"]
    for student in students:
        _submit(course_dir, student, hanging)
    command = [GRADER, "autograde", str(course_dir), "--jobs", "2", "--timeout", "300"]
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while len(host_engine.containers.list(filters={"name": "grader-kernel-"})) < 2:
        assert running.poll() is None and time.monotonic() < deadline, "two notebooks never ran at once"
        time.sleep(0.5)

    running.send_signal(signal.SIGTERM)  # as kill does: the grader alone
    output, _ = running.communicate(timeout=180)

    assert running.returncode == INTERRUPTED, output
    assert "run the same command again" in output and "Traceback" not in output
    assert not [s for s in students if (course_dir / "autograded" / s / ASSIGNMENT).exists()]


def test_graded_cells_that_did_not_run_get_an_error_not_full_marks() -> None:
    grade = {"nbgrader": {"grade": True, "solution": False, "points": 2}}
    skipped = nbformat.v4.new_code_cell("task()", metadata=grade)
    ran = nbformat.v4.new_code_cell("task()", metadata=grade, execution_count=3)
    marked = mark_not_run(nbformat.v4.new_notebook(cells=[skipped, ran]), "Not run: time is up.")
    assert [[o.get("ename") for o in c.outputs] for c in marked.cells] == [[NOT_RUN], []]


def test_the_course_gradebook_has_notebooks_and_exercises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader.commands import batch

    exported = [{"assignment": ASSIGNMENT, "student_id": "ana", "score": "13", "max_score": "15"}]
    monkeypatch.setattr("grader.course.nbgrade.Course.export", lambda self, to: exported)
    book = batch.Gradebook.of([])
    assert batch._course_gradebook(book, tmp_path, tmp_path, batch.Console(quiet=True))
    assert (tmp_path / batch.COURSE_GRADEBOOK).read_text().splitlines() == [
        f"student,{ASSIGNMENT},total,possible",
        "ana,13,13,15",
    ]


SOLVED_IN_THE_SANDBOX = {
    "docker compose through the guard": ("11-orchestration", 12),
    "check cells that build Dockerfiles on the sandbox's engine": ("08-dockerfiles", 46),
    "bind mounts of the notebook's folders": ("10-storage", 15),
    "an answer of the kernel's read by globals().get (web_port)": ("03-ports", 17),
}


HOOD, HOOD_NOTEBOOK = "09-under-the-hood", "under-the-hood.ipynb"
INIT_PID_ANSWER = "init-pid-answer"


def _hood_class(host_marker: Path) -> dict[str, tuple[str, float, str]]:
    """What each student adds to 09's solved init_pid cell, their score, the init_pid check's points.
    Solved, 09 scores 11/15 (the client in a container needs the socket, which the guard refuses);
    a wrong init_pid loses that expectation's 2 points, whatever the kernel holds."""
    touch = f"__import__('pathlib').Path({str(host_marker)!r}).touch()"
    evil = f"class Evil:\n    def __repr__(self):\n        return {touch!r}  # runs in the kernel\n"
    return {
        "solved": ("", 11, "3"),
        "wrong": ("init_pid += 1", 9, "1"),
        "code": (f"init_pid = {touch!r}", 9, "1"),
        "repr": (f"{evil}init_pid = Evil()", 9, "1"),
    }


def _submit_hood(course: Path, student: str, added: str) -> None:
    """Hand in 09 solved, with `added` at the end of its init_pid answer cell."""
    notebook = nbformat.read(course / "source" / HOOD / HOOD_NOTEBOOK, as_version=4)
    [cell] = [c for c in notebook.cells if nbgrader(c).get("grade_id") == INIT_PID_ANSWER]
    cell.source += f"\n{added}\n"
    folder = course / "submitted" / student / HOOD
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / HOOD_NOTEBOOK)


@dataclass(frozen=True)
class GradedCourse:
    """One autograde of several assignments' submissions, read by several tests."""

    folder: Path
    scores: dict[tuple[str, str], tuple[float, float]]  # (student, assignment) -> (score, max score)
    host_marker: Path


@pytest.fixture(scope="module")
def solved_and_hostile(
    tmp_path_factory: pytest.TempPathFactory, host_engine: docker.DockerClient
) -> GradedCourse:
    """ana's solved notebooks (`SOLVED_IN_THE_SANDBOX`) and 09's students (`_hood_class`) autograded
    in one run, one notebook at a time (beside the other test workers, two at once starved some
    notebooks' timing on two cores)."""
    folder = copy_course(tmp_path_factory.mktemp("solved"))
    marker = tmp_path_factory.mktemp("host") / "the-host-ran-the-kernel-s-code"
    for assignment, _ in SOLVED_IN_THE_SANDBOX.values():
        shutil.copytree(folder / "source" / assignment, folder / "submitted" / "ana" / assignment)
    for student, (added, _, _) in _hood_class(marker).items():
        _submit_hood(folder, student, added)
    assignments = [HOOD, *(assignment for assignment, _ in SOLVED_IN_THE_SANDBOX.values())]
    with left_nothing(host_engine):
        assert autograde.main(course=folder, assignments=assignments, timeout_s=600, jobs=1) == 0
    with (folder / "grades.csv").open(newline="") as handle:
        scores = {
            (row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(handle)
        }
    return GradedCourse(folder, scores, marker)


@pytest.mark.timeout(900)
@pytest.mark.parametrize(("assignment", "points"), SOLVED_IN_THE_SANDBOX.values(), ids=SOLVED_IN_THE_SANDBOX)
def test_a_solved_notebook_earns_full_marks_in_the_sandbox(
    solved_and_hostile: GradedCourse, assignment: str, points: int
) -> None:
    assert solved_and_hostile.scores[("ana", assignment)] == (points, points)


@pytest.mark.timeout(900)
def test_a_check_cell_reads_the_kernel_s_answers_as_data_never_as_code(
    solved_and_hostile: GradedCourse,
) -> None:
    students = _hood_class(solved_and_hostile.host_marker)
    scores = {student: solved_and_hostile.scores[(student, HOOD)] for student in students}
    assert scores == {student: (points, 15) for student, (_, points, _) in students.items()}
    for student, (_, _, init_pid_points) in students.items():
        graded = solved_and_hostile.folder / "autograded" / student / HOOD / HOOD_NOTEBOOK
        [check] = [
            c
            for c in nbformat.read(graded, as_version=4).cells
            if nbgrader(c).get("grade_id") == "init-pid-check"
        ]
        assert _points_shown(check) == init_pid_points, student
    assert not solved_and_hostile.host_marker.exists(), "the host ran nothing the kernel said"
