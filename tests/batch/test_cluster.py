"""Grading on a Dask cluster: a scheduler and workers as processes of their own, on loopback.

Every test starts its own scheduler (`grader cluster scheduler`) on a free port and its workers
(`grader worker`, one grading slot each), and stops them all. The workers grade the small fixture
exercises; the test-only grading hooks below (as in tests/batch/test_batch.py) are imported by the
workers from this module.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import psutil
import pytest
from click.testing import CliRunner

from grader.batch import batch, certs, cluster, store
from grader.batch.workers import ATTEMPT_PREFIX, pack, resource, unpack
from grader.cli import main as cli
from grader.host import leftovers
from grader.model.exercise import ROOT_VARIABLE
from grader.model.result import CheckResult, Result
from tests.conftest import owner_pid

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "exercises"
GRADER = Path(sys.executable).parent / "grader"
ECHO = "tiny.echo"
RIGHT = 'FROM busybox\nCMD ["echo", "ok"]\n'
WRONG = 'FROM busybox\nCMD ["echo", "no"]\n'
BROKEN = "FORM busybox\n"
SLOW = 'FROM busybox\nRUN sleep 3\nCMD ["echo", "ok"]\n'  # long enough to be cut short
START_S = 90
STOP_S = 20


@pytest.fixture(autouse=True)
def fixture_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROOT_VARIABLE, str(FIXTURES))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A scheduler and workers on loopback, each a process group of its own, logging to `folder`."""

    def __init__(self, folder: Path, cert_dir: Path | None = None) -> None:
        self.folder, self.cert_dir = folder, cert_dir
        folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.address = f"{'tls' if cert_dir else 'tcp'}://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.scheduler: subprocess.Popen[bytes] | None = None

    def _start(self, name: str, *args: str, exercises: Path = FIXTURES) -> subprocess.Popen[bytes]:
        tls = ["--certs", str(self.cert_dir)] if self.cert_dir else []
        environment = {
            **os.environ,
            ROOT_VARIABLE: str(exercises),
            "PYTHONPATH": str(ROOT),  # the workers import this module's grading hooks
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",  # a poisoned task kills 2 workers
        }
        with (self.folder / f"{name}-{len(self.processes)}.log").open("wb") as log:  # the child keeps its own
            process = subprocess.Popen(
                [str(GRADER), *args, *tls],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_scheduler(self) -> None:
        self.scheduler = self._start(
            "scheduler", "cluster", "scheduler", "--host", "127.0.0.1", "--port", str(self.port)
        )

    def start_worker(self, exercises: Path = FIXTURES) -> subprocess.Popen[bytes]:
        return self._start("worker", "worker", self.address, "--nthreads", "1", exercises=exercises)

    def wait_for_slots(self, slots: int) -> None:
        """Return once `slots` grading slots of this grader are offered."""
        client = cluster.connect(self.address, self.cert_dir)
        try:
            deadline = time.monotonic() + START_S
            while self.slots(client) < slots:
                assert time.monotonic() < deadline, f"no {slots} slots within {START_S} s: see {self.folder}"
                time.sleep(0.5)
        finally:
            client.close()

    def slots(self, client: object) -> float:
        return cluster.slots(client, resource())

    def pids(self) -> set[str]:
        """The process ids of everything running for this cluster now (workers' grading processes too)."""
        found = set()
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                found |= {p.pid for p in psutil.Process(process.pid).children(recursive=True)} | {process.pid}
        return {str(pid) for pid in found}

    @staticmethod
    def kill(process: subprocess.Popen[bytes], signum: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def stop(self) -> None:
        """SIGTERM every process group (workers first), SIGKILL what is still there after STOP_S."""
        for process in reversed(self.processes):
            self.kill(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.kill(process)
                process.wait(STOP_S)
        for process in self.processes:  # grading processes still unwinding, then whatever lingers
            deadline = time.monotonic() + STOP_S
            while _group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.kill(process)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """Start a scheduler and `workers` workers (each one slot), and stop them all after the test."""
    made: list[Cluster] = []

    def make(workers: int = 2, cert_dir: Path | None = None) -> Cluster:
        started = Cluster(tmp_path / f"cluster-{len(made)}", cert_dir)
        made.append(started)
        started.start_scheduler()
        for _ in range(workers):
            started.start_worker()
        started.wait_for_slots(workers)
        return started

    yield make
    for started in made:
        started.stop()


def _class(root: Path, dockerfiles: dict[str, str]) -> Path:
    for student, text in dockerfiles.items():
        folder = root / "submitted" / student / ECHO
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text(text)
    return root / "submitted"


def _batch(submissions: Path, out: Path, *extra: str) -> tuple[int, str]:
    arguments = ["batch", str(submissions), "--exercise", ECHO, "--out", str(out), *extra]
    done = CliRunner().invoke(cli, arguments, env={"COLUMNS": "200", "NO_COLOR": "1"})
    return done.exit_code, " ".join(done.output.split())


def _nothing_left_by(host: docker.DockerClient, pids: set[str]) -> None:
    """Nothing any of these processes (a cluster's) made is left on the engine."""
    left = [item for item in leftovers.find(host, everything=True) if owner_pid(host, item) in pids]
    assert left == [], f"the cluster's processes left {left}"


def _only_orphans_left_by(host: docker.DockerClient, pids: set[str]) -> None:
    """What these processes left belongs to processes that are gone (a worker killed mid-sandbox, as
    `Cluster.stop` does past STOP_S), so `grader gc` finds it; it is removed here as gc would."""
    left = [item for item in leftovers.find(host, everything=True) if owner_pid(host, item) in pids]
    orphans = leftovers.find(host)
    assert [item for item in left if item not in orphans] == [], f"live processes hold {left}"
    leftovers.remove(host, left)


def _nothing_left(host: docker.DockerClient, jobs: list[batch.Job]) -> None:
    """Nothing of any attempt at these jobs (their run ids' prefix) is left on the engine."""
    found = leftovers.find(host, everything=True)
    for job in jobs:
        prefix = job.run_id[:ATTEMPT_PREFIX]
        left = [item for item in found if item.run_id.startswith(prefix)]
        assert left == [], f"{job.student}'s runs {prefix}... left {left}"


# -- the same gradebook as the local pool -------------------------------------------------------


@pytest.mark.docker
@pytest.mark.slow
def test_a_batch_on_the_cluster_gives_the_local_pools_gradebook_and_resumes(
    tmp_path: Path,
    make_cluster: Callable[..., Cluster],
    host_engine: docker.DockerClient,
    leaves_nothing: None,
) -> None:
    submissions = _class(tmp_path, {"ana": RIGHT, "ben": WRONG, "chloe": BROKEN, "dan": RIGHT})
    workers = make_cluster(workers=2)

    local = _batch(submissions, tmp_path / "local")
    remote = _batch(submissions, tmp_path / "remote", "--scheduler", workers.address)

    assert (local[0], remote[0]) == (0, 0), remote[1]
    assert (tmp_path / "remote" / "gradebook.csv").read_text() == (
        tmp_path / "local" / "gradebook.csv"
    ).read_text()
    with (tmp_path / "remote" / "gradebook.csv").open() as handle:
        assert {"ana", "ben", "chloe", "dan"} <= {row["student"] for row in csv.DictReader(handle)}
    for stored in store.load_all(tmp_path / "remote"):
        assert stored.record["machine"] == socket.gethostname()
        assert stored.record["worker"].startswith("tcp://127.0.0.1:")
        assert stored.result.submission == str(submissions / stored.student / ECHO), "the instructor's folder"
        assert stored.record["tools"]["engine"], "the worker's engine"
    again = _batch(submissions, tmp_path / "remote", "--scheduler", workers.address)
    assert again[0] == 0
    _nothing_left_by(host_engine, workers.pids())
    assert "Nothing to grade: all 4 results" in again[1], "the store is resumed, as with the local pool"


# -- faults ----------------------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.slow
def test_a_worker_killed_mid_batch_costs_nothing_its_submissions_are_graded_elsewhere(
    tmp_path: Path,
    make_cluster: Callable[..., Cluster],
    host_engine: docker.DockerClient,
    leaves_nothing: None,
) -> None:
    submissions = _class(tmp_path, {f"s{number}": SLOW for number in range(5)})
    workers = make_cluster(workers=2)
    victim = workers.processes[1]
    jobs = batch.discover(submissions)
    seen: list[str] = []
    threading.Timer(2.5, workers.kill, (victim,)).start()  # both are grading their first submission

    done = batch.grade_all(
        jobs, workers=2, on_result=lambda job, result: seen.append(job.student), scheduler=workers.address
    )

    assert sorted(seen) == sorted(job.student for job in jobs), "every submission once: none lost or twice"
    assert {job.student: (r.status, r.score) for job, r in done} == dict.fromkeys(seen, ("graded", 4))
    assert victim.poll() is not None
    # killed before any of its gradings could finish (a build takes 3 s), so the survivor graded its
    # submission in flight too
    assert len({job.origin["worker"] for job, _ in done}) == 1
    _nothing_left(host_engine, jobs)


def _grade_or_die(job: batch.Job) -> Result:
    """Grading as a worker sees it: "poison" kills the grading process, "assassin" the worker that
    takes it, "flaky" loses its engine once."""
    if job.student == "poison":
        os._exit(3)
    if job.student == "assassin":
        os.kill(os.getppid(), signal.SIGKILL)  # the grading process's parent: the Dask worker
        time.sleep(30)
    if job.student == "flaky":  # its engine restarts under it, once
        marker = Path((job.folder / "marker").read_text())
        if not marker.exists():
            marker.touch()
            raise batch.EngineLost("Error while fetching server API version: Connection aborted.")
    return Result(job.exercise_id, str(job.folder), checks=[CheckResult("c", 1, passed=True, expected="e")])


@pytest.mark.docker
@pytest.mark.slow
def test_a_submission_that_kills_every_worker_gets_an_error_after_bounded_tries(
    tmp_path: Path, make_cluster: Callable[..., Cluster], leaves_nothing: None
) -> None:
    submissions = _class(tmp_path, dict.fromkeys(["ana", "poison", "ben", "assassin", "chloe"], RIGHT))
    workers = make_cluster(workers=2)
    seen: list[str] = []

    done = batch.grade_all(
        batch.discover(submissions),
        workers=2,
        on_result=lambda job, result: seen.append(job.student),
        grade=_grade_or_die,
        scheduler=workers.address,
    )

    results = {job.student: result for job, result in done}
    assert sorted(seen) == ["ana", "assassin", "ben", "chloe", "poison"], "each once"
    assert results["poison"].status == "error"
    assert "worker process died while grading this submission" in results["poison"].reason
    assert results["poison"].submission == str(submissions / "poison" / ECHO)
    # allowed-failures is 1 here: the second worker it kills is the last
    assert results["assassin"].status == "error"
    assert "Every worker of the cluster that took this submission died" in results["assassin"].reason
    assert all(results[name].status == "graded" for name in ("ana", "ben", "chloe"))


@pytest.mark.docker
@pytest.mark.slow
def test_a_job_whose_worker_lost_its_engine_is_graded_again_not_kept_as_an_error(
    tmp_path: Path, make_cluster: Callable[..., Cluster], leaves_nothing: None
) -> None:
    submissions = _class(tmp_path, dict.fromkeys(["ana", "flaky", "ben"], RIGHT))
    (submissions / "flaky" / ECHO / "marker").write_text(str(tmp_path / "engine-restarted"))
    workers = make_cluster(workers=1)

    done = batch.grade_all(
        batch.discover(submissions),
        workers=1,
        on_result=lambda job, result: None,
        grade=_grade_or_die,
        scheduler=workers.address,
    )

    assert sorted((job.student, result.status) for job, result in done) == [
        ("ana", "graded"),
        ("ben", "graded"),
        ("flaky", "graded"),
    ]
    assert (tmp_path / "engine-restarted").exists(), "flaky's first grading did lose its engine"


@pytest.mark.docker
@pytest.mark.slow
def test_a_stopped_scheduler_stops_the_batch_with_a_message_and_running_it_again_resumes(
    tmp_path: Path,
    make_cluster: Callable[..., Cluster],
    host_engine: docker.DockerClient,
    leaves_nothing: None,
) -> None:
    submissions = _class(tmp_path, {f"s{number}": SLOW for number in range(4)})
    first = make_cluster(workers=2)
    out = tmp_path / "out"
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    command = [str(GRADER), "batch", str(submissions), "--exercise", ECHO, "--out", str(out)]
    running = subprocess.Popen(
        [*command, "--scheduler", first.address],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + START_S
    while not list((out / "results").glob("*/*.json")):
        assert time.monotonic() < deadline and running.poll() is None
        time.sleep(0.2)
    assert first.scheduler is not None
    pids = first.pids()
    first.kill(first.scheduler)
    output = running.communicate(timeout=120)[0].decode()

    assert running.returncode == 1, output
    assert "stopped answering, so the batch stopped; the results so far are saved" in " ".join(output.split())
    assert "(Dask: " in output and "scheduler-connection-lost" in output, output
    assert "Traceback" not in output, output
    kept = len(list((out / "results").glob("*/*.json")))
    assert 1 <= kept < 4
    first.stop()
    second = make_cluster(workers=2)
    again = subprocess.run(
        [*command, "--scheduler", second.address],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{4 - kept} graded, {kept} unchanged and kept" in " ".join(again.stdout.split())
    _nothing_left_by(host_engine, second.pids())
    _only_orphans_left_by(host_engine, pids)  # the first cluster's workers were killed, maybe mid-sandbox


@pytest.mark.docker
@pytest.mark.slow
def test_ctrl_c_on_the_instructors_side_removes_the_runs_on_every_worker(
    tmp_path: Path,
    make_cluster: Callable[..., Cluster],
    host_engine: docker.DockerClient,
    leaves_nothing: None,
) -> None:
    submissions = _class(tmp_path, {f"s{number}": SLOW for number in range(4)})
    workers = make_cluster(workers=2)
    jobs = batch.discover(submissions)

    def interrupt(job: batch.Job, result: Result) -> None:
        raise KeyboardInterrupt  # the first result comes while the other worker is still grading

    with pytest.raises(KeyboardInterrupt):
        batch.grade_all(jobs, workers=2, on_result=interrupt, scheduler=workers.address)

    _nothing_left(host_engine, jobs)


@pytest.mark.docker
@pytest.mark.slow
def test_a_worker_with_another_exercise_set_is_refused(
    tmp_path: Path, make_cluster: Callable[..., Cluster], leaves_nothing: None
) -> None:
    submissions = _class(tmp_path, dict.fromkeys(["ana", "ben", "chloe"], RIGHT))
    workers = make_cluster(workers=1)
    workers.start_worker(exercises=ROOT / "exercises")  # another course: another digest
    time.sleep(8)  # it joins, offering its own grader's slots
    notes: list[str] = []

    done = batch.grade_all(
        batch.discover(submissions),
        workers=2,
        on_result=lambda job, result: None,
        grade=_grade_or_die,
        watch=batch.EngineWatch(ping=lambda: True, notify=notes.append),
        scheduler=workers.address,
    )

    assert any("is refused" in note and resource() in note for note in notes), notes
    assert len({job.origin["worker"] for job, _ in done}) == 1, "only the worker with this grader graded"


# -- TLS -------------------------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.slow
def test_tls_grades_with_certificates_and_refuses_a_client_without_one(
    tmp_path: Path, make_cluster: Callable[..., Cluster], leaves_nothing: None
) -> None:
    keys = tmp_path / "certs"
    certs.make(keys)
    assert (keys / "ca-key.pem").stat().st_mode & 0o077 == 0, "private keys are the owner's alone"
    workers = make_cluster(workers=1, cert_dir=keys)
    submissions = _class(tmp_path, {"ana": RIGHT, "ben": WRONG})

    done = batch.grade_all(
        batch.discover(submissions),
        workers=1,
        on_result=lambda job, result: None,
        scheduler=workers.address,
        certs=keys,
    )

    assert sorted((job.student, result.score) for job, result in done) == [("ana", 4), ("ben", 1)]
    assert all(job.origin["worker"].startswith("tls://") for job, _ in done)
    _refused_without_a_certificate(workers.port, keys / "ca.pem")
    strangers = tmp_path / "strangers"
    certs.make(strangers)  # a CA of their own
    with pytest.raises(cluster.ClusterUnavailable):
        cluster.connect(workers.address, strangers)
    with pytest.raises(cluster.ClusterUnavailable, match="give --certs"):
        cluster.connect(workers.address, None)


def _refused_without_a_certificate(port: int, ca: Path) -> None:
    """A TLS client that trusts the cluster's CA but shows no certificate is cut off by the scheduler."""
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises((ssl.SSLError, ConnectionError)),
        context.wrap_socket(raw) as tls,
    ):
        tls.sendall(b"\0" * 8)
        assert tls.recv(1) != b"", "the scheduler closes a connection without a certificate"


def test_certificates_are_signed_by_the_cluster_ca(tmp_path: Path) -> None:
    written = {path.name for path in certs.make(tmp_path)}
    assert written == {
        "ca.pem",
        "ca-key.pem",
        *(f"{role}.pem" for role in certs.ROLES),
        *(f"{role}-key.pem" for role in certs.ROLES),
    }
    check = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(tmp_path / "ca.pem"),
            *(str(tmp_path / f"{r}.pem") for r in certs.ROLES),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_a_job_carries_its_files_to_the_worker_and_nothing_outside_them(tmp_path: Path) -> None:
    folder = tmp_path / "ana" / ECHO
    (folder / "sub").mkdir(parents=True)
    (folder / "Dockerfile").write_text(RIGHT)
    (folder / "sub" / "run.sh").write_text("echo hi\n")
    (folder / "sub" / "run.sh").chmod(0o755)
    (folder / "link").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe")

    unpacked = unpack(pack(folder), tmp_path / "worker" / ECHO)

    assert (unpacked / "Dockerfile").read_text() == RIGHT
    assert (unpacked / "sub" / "run.sh").stat().st_mode & 0o111
    assert os.readlink(unpacked / "link") == "/etc/passwd", "links travel as links, never followed"
    assert not (unpacked / "pipe").exists(), "special files are left out"


def test_a_worker_offers_its_slots_only_when_its_machine_can_grade(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from grader.batch import workers as command

    def fresh() -> SimpleNamespace:
        return SimpleNamespace(state=SimpleNamespace(nthreads=3, total_resources={}, available_resources={}))

    monkeypatch.setattr(command, "readiness", lambda: [])
    ready = fresh()
    command.dask_setup(ready)
    assert ready.state.total_resources == ready.state.available_resources == {resource(): 3.0}
    monkeypatch.setattr(command, "readiness", lambda: ["Missing base images: busybox:latest."])
    unready = fresh()
    command.dask_setup(unready)
    assert unready.state.total_resources == {}, "a machine that cannot grade offers no slot"
