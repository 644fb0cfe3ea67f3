"""Grading a class: finding submissions, sizing the pool, and results that always come back."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import docker
import docker.errors
import pytest

from grader.batch import batch
from grader.host import engine, labels, leftovers
from grader.model.exercise import SOLUTIONS
from grader.model.result import CheckResult, Result

HELLO = "dockerfiles.hello"


def _folder(path: Path, dockerfile: str = "FROM busybox\n") -> Path:
    path.mkdir(parents=True)
    (path / "Dockerfile").write_text(dockerfile)
    return path


def test_discover_finds_student_exercise_folders_and_ignores_unknown_ones(tmp_path: Path) -> None:
    _folder(tmp_path / "ben" / HELLO)
    _folder(tmp_path / "ana" / "dockerfiles.webserver")
    _folder(tmp_path / "ana" / HELLO)
    _folder(tmp_path / "ana" / "homework.unknown")
    (tmp_path / "ana" / "notes.txt").write_text("not a submission")
    (tmp_path / "README.md").write_text("not a student")
    _folder(tmp_path / "chloe" / "no.such-exercise")

    jobs = batch.discover(tmp_path)

    assert [(job.student, job.exercise_id) for job in jobs] == [
        ("ana", HELLO),
        ("ana", "dockerfiles.webserver"),
        ("ben", HELLO),
    ]
    assert jobs[0].folder == tmp_path / "ana" / HELLO
    assert len({job.run_id for job in jobs}) == len(jobs), "every job gets a run id of its own"


def test_discover_of_an_empty_class_is_empty(tmp_path: Path) -> None:
    assert batch.discover(tmp_path) == []


def test_default_workers_is_at_least_one_and_at_most_the_cores() -> None:
    workers = batch.default_workers()
    assert isinstance(workers, int)
    assert 1 <= workers <= max(1, os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("cores", "memory_gb", "expected"), [(8, 4, 1), (8, 64, 8), (2, 24, 2), (None, 1, 1)]
)
def test_default_workers_is_bounded_by_cores_and_memory(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, memory_gb: int, expected: int
) -> None:
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": memory_gb * 1024**3 // 4096}
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "sysconf", lambda name: sizes[name])
    assert batch.default_workers() == expected


@pytest.mark.docker  # the worker connects to the engine before it looks the exercise up
def test_a_job_for_an_unknown_exercise_is_an_error_result_not_an_exception(tmp_path: Path) -> None:
    job = batch.Job("ana", "no.such-exercise", _folder(tmp_path / "ana" / "x"), labels.new_run_id())
    result = batch.grade_job(job)
    assert isinstance(result, Result)
    assert (result.exercise, result.status) == ("no.such-exercise", "error")
    assert "There is no exercise 'no.such-exercise'" in result.reason
    assert HELLO in result.reason
    assert result.submission == str(job.folder)


def _fake_grade(job: batch.Job) -> Result:
    """Grading as a worker sees it: "dies" kills its worker process, "raises" raises."""
    if job.student.startswith("dies"):
        os._exit(3)
    if job.student == "raises":
        raise RuntimeError("the grader's own step broke")
    return Result(job.exercise_id, str(job.folder), checks=[CheckResult("c", 1, passed=True, expected="e")])


@pytest.mark.docker
@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_dies_costs_only_its_submission_and_the_batch_goes_on(
    tmp_path: Path, workers: int
) -> None:
    students = ["ana", "dies-1", "ben", "raises", "dies-2", "chloe"]
    jobs = [batch.Job(name, HELLO, tmp_path / name, labels.new_run_id()) for name in students]
    seen: list[str] = []

    done = batch.grade_all(
        jobs, workers=workers, on_result=lambda job, result: seen.append(job.student), grade=_fake_grade
    )

    results = {job.student: result for job, result in done}
    assert sorted(seen) == sorted(students), "every submission gets exactly one result"
    assert len(done) == len(students)
    for name in ("dies-1", "dies-2"):
        assert results[name].status == "error"
        assert "worker process died" in results[name].reason
        assert results[name].submission == str(tmp_path / name)
    assert (results["raises"].status, results["raises"].reason) == ("error", "the grader's own step broke")
    assert all(results[name].status == "graded" for name in ("ana", "ben", "chloe"))


@pytest.mark.docker
@pytest.mark.slow
def test_grade_all_grades_a_class_in_parallel_and_leaves_nothing(
    tmp_path: Path, host_engine: docker.DockerClient, leaves_nothing: None
) -> None:
    shutil.copytree(SOLUTIONS / HELLO, tmp_path / "ana" / HELLO)
    _folder(tmp_path / "ben" / HELLO, 'FROM busybox\nCMD ["echo", "bye"]\n')
    jobs = batch.discover(tmp_path)
    seen: list[str] = []

    done = batch.grade_all(jobs, workers=2, on_result=lambda job, result: seen.append(job.student))

    scores = {job.student: (result.status, result.score, result.max_score) for job, result in done}
    assert scores == {"ana": ("graded", 10, 10), "ben": ("graded", 5, 10)}, [r.reason for _, r in done]
    assert sorted(seen) == ["ana", "ben"]
    failed = {c.name for job, r in done if job.student == "ben" for c in r.checks if not c.passed}
    assert failed == {"build_prints_message", "prints_hello"}
    for job in jobs:
        assert leftovers.of_run(host_engine, job.run_id) == [], f"run {job.run_id} left objects"


# -- an engine that stops answering mid-batch (fakes; the real engine in tests/commands) ------


def _grade_through_an_outage(job: batch.Job) -> Result:
    """Grading as a worker sees an outage: "victim" brings the engine down once; while it is down,
    every grading fails as it would (an error result)."""
    down, happened = job.folder.parent / "engine-down", job.folder.parent / "outage-happened"
    if job.student == "victim" and not happened.exists():
        happened.touch()
        down.touch()
    if down.exists():
        return Result(job.exercise_id, str(job.folder), status="error", reason="Connection aborted.")
    return _fake_grade(job)


class _Engine:
    """A fake engine for EngineWatch: down while tmp/engine-down exists; it comes back after a few
    pings, as a restarted engine does."""

    def __init__(self, folder: Path, pings_down: int) -> None:
        self.flag = folder / "engine-down"
        self.pings_down = pings_down

    def ping(self) -> bool:
        if not self.flag.exists():
            return True
        self.pings_down -= 1
        if self.pings_down == 0:
            self.flag.unlink()
        return False


def test_an_engine_outage_regrades_the_submissions_in_flight_and_stores_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    students = ["ana", "victim", "ben", "chloe", "david"]
    jobs = [batch.Job(name, HELLO, tmp_path / name, labels.new_run_id()) for name in students]
    removed: list[set[str]] = []
    monkeypatch.setattr(batch, "_remove_runs", lambda jobs: removed.append({job.run_id for job in jobs}))
    monkeypatch.setattr(batch, "ENGINE_POLL_S", 0.05)
    notes: list[str] = []
    watch = batch.EngineWatch(wait_s=30, ping=_Engine(tmp_path, pings_down=3).ping, notify=notes.append)
    seen: list[str] = []

    done = batch.grade_all(
        jobs,
        workers=2,
        on_result=lambda job, result: seen.append(job.student),
        grade=_grade_through_an_outage,
        watch=watch,
    )

    assert sorted(seen) == sorted(students), "every submission gets exactly one result"
    assert {job.student: result.status for job, result in done} == dict.fromkeys(students, "graded")
    assert watch.outages == 1
    victim = next(job for job in jobs if job.student == "victim")
    assert removed and victim.run_id in removed[0], "the interrupted run's leftovers are removed first"
    assert "stopped answering" in notes[0]
    assert "grading again the" in notes[-1]


def _unreachable_once(job: batch.Job) -> Result:
    """A worker that cannot reach the engine the first time it grades "flaky" (a restart the
    batch's own pings fell between)."""
    marker = job.folder.parent / "reached-once"
    if job.student == "flaky" and not marker.exists():
        marker.touch()
        raise batch.EngineLost("Error while fetching server API version: Connection aborted.")
    return _fake_grade(job)


def test_a_worker_that_cannot_reach_the_engine_is_graded_again_not_kept_as_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [batch.Job(name, HELLO, tmp_path / name, labels.new_run_id()) for name in ("ana", "flaky", "ben")]
    monkeypatch.setattr(batch, "_remove_runs", lambda jobs: None)
    watch = batch.EngineWatch(ping=lambda: True)  # the batch's pings never saw the engine go

    done = batch.grade_all(
        jobs, workers=2, on_result=lambda job, result: None, grade=_unreachable_once, watch=watch
    )

    assert sorted((job.student, result.status) for job, result in done) == [
        ("ana", "graded"),
        ("ben", "graded"),
        ("flaky", "graded"),
    ]
    assert (tmp_path / "reached-once").exists(), "flaky's first grading did fail"


def test_a_job_whose_worker_cannot_reach_the_engine_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    job = batch.Job("ana", HELLO, _folder(tmp_path / "ana" / HELLO), labels.new_run_id())
    with pytest.raises(batch.EngineLost, match=r"no-engine\.sock does not answer"):
        batch.grade_job(job)


class _VanishingEngine:
    """A host client whose engine went away after it was reached."""

    def ping(self) -> bool:
        raise docker.errors.APIError("Connection aborted.")


@pytest.mark.parametrize(("engine_answers", "lost"), [(False, True), (True, False)])
def test_a_grading_error_counts_as_lost_only_when_the_engine_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_answers: bool, lost: bool
) -> None:
    host = SimpleNamespace(ping=lambda: True) if engine_answers else _VanishingEngine()
    monkeypatch.setattr(batch.engine, "connect", lambda **_: host)
    monkeypatch.setattr(
        batch, "grade", lambda *_, **__: Result(HELLO, "s", status="error", reason="Connection aborted.")
    )
    job = batch.Job("ana", HELLO, _folder(tmp_path / "ana" / HELLO), labels.new_run_id())
    if lost:
        with pytest.raises(batch.EngineLost, match="Connection aborted"):
            batch.grade_job(job)
    else:
        assert batch.grade_job(job).status == "error", "a grading error on a live engine is kept"


def test_an_engine_that_does_not_come_back_stops_the_batch_without_error_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [batch.Job(name, HELLO, tmp_path / name, labels.new_run_id()) for name in ("victim", "ana")]
    monkeypatch.setattr(batch, "_remove_runs", lambda jobs: None)
    monkeypatch.setattr(batch, "ENGINE_POLL_S", 0.05)
    watch = batch.EngineWatch(wait_s=0.3, ping=_Engine(tmp_path, pings_down=-1).ping)
    kept: list[Result] = []

    with pytest.raises(engine.EngineUnavailable, match="did not answer again within 0 s"):
        batch.grade_all(
            jobs,
            workers=1,
            on_result=lambda job, result: kept.append(result),
            grade=_grade_through_an_outage,
            watch=watch,
        )

    assert kept == [], "the victim, cut short by the outage, is not kept as an error"


def test_the_watch_finds_an_engine_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    watch = batch.EngineWatch()
    assert (watch.check(), watch.up, watch.outages) == (False, False, 1)
    assert (watch.check(), watch.outages) == (False, 1), "one outage, however long"


def _interrupted(job: batch.Job) -> Result:
    raise KeyboardInterrupt


def test_a_stopped_batch_removes_its_runs_twice_for_requests_the_engine_was_still_finishing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [batch.Job(name, HELLO, tmp_path / name, labels.new_run_id()) for name in ("ana", "ben")]
    removed: list[tuple[float, set[str]]] = []
    monkeypatch.setattr(
        batch, "_remove_runs", lambda jobs: removed.append((time.monotonic(), {job.run_id for job in jobs}))
    )
    monkeypatch.setattr(batch, "SETTLE_S", 0.2)

    with pytest.raises(KeyboardInterrupt):
        batch.grade_all(jobs, workers=1, on_result=lambda job, result: None, grade=_interrupted)

    assert [runs for _, runs in removed] == [{job.run_id for job in jobs}] * 2
    assert removed[1][0] - removed[0][0] >= 0.2, "the second pass waits for the engine to settle"
