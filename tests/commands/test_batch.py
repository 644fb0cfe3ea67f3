"""`grader batch`: a class graded once, resumed after Ctrl-C or kill, regraded on demand."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from click.testing import CliRunner

from grader.batch import store
from grader.cli import main as cli
from grader.commands import batch
from grader.host import leftovers
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import ROOT_VARIABLE
from tests import hostile_trees
from tests.conftest import children, owner_pid, restore_ctrl_c

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
    """The gradebook's rows by student, each exercise's column by its id (without "(max 4, weight 4)")."""
    with (out / "gradebook.csv").open(newline="") as handle:
        rows = csv.DictReader(handle)
        return {row["student"]: {key.split(" (max ")[0]: value for key, value in row.items()} for row in rows}


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
    sums = {"total": "4", "possible": "4", "percent": "100", "status": "graded", "late (days)": ""}
    assert rows["ana"] == {"student": "ana", "tiny.echo": "4", **sums}
    assert rows["david"] == {
        **sums,
        "student": "david",
        "tiny.echo": "",
        "total": "0",
        "percent": "0",
        "status": rows["david"]["status"],
    }
    assert rows["david"]["status"] != "graded"
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


# -- hostile submissions: each one's problem is its own result, never the batch's ----


@pytest.mark.timeout(120)
def test_submissions_that_cannot_be_graded_get_an_error_result_without_an_engine(tmp_path: Path) -> None:
    root = _class(tmp_path, {"mallory": RIGHT, "nina": RIGHT})
    hostile_trees.deep(root / "submitted" / "mallory" / "tiny.echo")
    hostile_trees.many(root / "submitted" / "nina" / "tiny.echo")
    out = tmp_path / "out"
    try:
        code, output = grader(str(root), "--exercise", "tiny.echo", "--out", str(out))
        assert code == 0, output
        assert "Not graded: mallory's tiny.echo: Your folder nests folders more than 32 deep" in output
        results = _results(out)
        assert {k: v.result.status for k, v in results.items()} == {
            ("mallory", "tiny.echo"): "error",
            ("nina", "tiny.echo"): "error",
        }
        assert results[("nina", "tiny.echo")].result.reason.startswith(
            "Your folder holds more than 10,000 files and folders (10,000 of them in `node_modules`)"
        )
        assert "remove build outputs and dependencies" in (out / "feedback" / "nina.md").read_text()
        first = _mtimes(out)
        assert batch.main(submissions=root, out=out, quiet=True) == 0
        assert _mtimes(out) == first, "the same problem is not recorded again"
    finally:
        hostile_trees.unnest(root / "submitted" / "mallory" / "tiny.echo")


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_hostile_submission_beside_good_ones_costs_only_itself(
    tmp_path: Path, leaves_nothing: None
) -> None:
    root = _class(tmp_path, {"ana": RIGHT, "mallory": RIGHT, "chloe": RIGHT, "dan": RIGHT})
    mallory = root / "submitted" / "mallory" / "tiny.echo"
    for make in ("fifo", "dev_zero", "passwd", "loop"):
        hostile_trees.MAKERS[make](mallory)
    hostile_trees.deep(root / "submitted" / "chloe" / "tiny.echo")
    hostile_trees.sparse(root / "submitted" / "dan" / "tiny.echo")
    out = tmp_path / "out"
    try:
        assert batch.main(submissions=root, out=out, jobs=2, quiet=True) == 0
    finally:
        hostile_trees.unnest(root / "submitted" / "chloe" / "tiny.echo")
    results = {student: stored.result for (student, _), stored in _results(out).items()}
    assert {student: (r.status, r.score) for student, r in results.items()} == {
        "ana": ("graded", 4),
        "mallory": ("graded", 4),
        "chloe": ("error", 0),
        "dan": ("error", 0),
    }
    assert results["mallory"].advice[0].startswith("Left out of grading, never read: `a` (a symbolic link")
    assert "`passwd` (a symbolic link leading outside your folder)" in results["mallory"].advice[0]
    assert "`pipe` (a named pipe (FIFO))" in results["mallory"].advice[0]
    assert "Left out of grading" in (out / "feedback" / "mallory.md").read_text()
    assert "nests folders more than 32 deep" in results["chloe"].reason
    too_large = "at least 100 GB of files, over the limit of 1 MB (the largest: `disk.img`, 100 GB)"
    assert too_large in results["dan"].reason
    assert _csv(out)["ana"]["tiny.echo"] == "4"


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
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=restore_ctrl_c,
    )
    deadline = time.monotonic() + 120
    batch_pids = {str(running.pid)}
    while not _mtimes(out) and running.poll() is None and time.monotonic() < deadline:
        batch_pids |= children(running.pid)
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
    left = set(leftovers.find(host_engine)) - orphans_before  # with a killed cluster worker's: not ours
    ours = {item for item in left if owner_pid(host_engine, item) in batch_pids}
    assert ours == set(), "the stopped runs left nothing"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{len(students) - len(kept)} graded, {len(kept)} unchanged and kept" in rerun.stdout
    results = _results(out)
    assert sorted(results) == [(student, "tiny.echo") for student in sorted(students)]
    assert {path: _mtimes(out)[path] for path in kept} == kept, "what was finished is not graded again"
    assert results[("ana", "tiny.echo")].result.score == 4
    assert results[("david", "tiny.echo")].result.score == 0


# -- replaying a stored result ----------------------------------------------------


def replay(path: Path) -> tuple[int, str]:
    """Run `grader replay`: its exit code and its output in one line, the table's borders left out."""
    done = CliRunner().invoke(cli, ["replay", str(path)], env={"COLUMNS": "200", "NO_COLOR": "1"})
    return done.exit_code, " ".join(re.sub("[\u2500-\u257f]", " ", done.output).split())


@pytest.mark.docker
@pytest.mark.slow
def test_a_stored_result_records_what_it_was_graded_with_and_replays(
    tmp_path: Path, leaves_nothing: None
) -> None:
    root = _class(tmp_path, {"ana": RIGHT, "ben": WRONG})
    out = tmp_path / "out"
    assert batch.main(submissions=root, out=out, jobs=2, quiet=True) == 0
    ben = store.path_of(out, "ben", "tiny.echo")
    record = json.loads(ben.read_text())
    folder = root / "submitted" / "ben" / "tiny.echo"
    assert record["submission"] == {"path": str(folder.resolve()), "digest": store.files_digest(folder)}
    assert record["result"]["image_id"].startswith("sha256:"), "the built image's ID, taken before removal"
    assert record["tools"]["sandbox_engine"].startswith("sha256:")
    assert record["tools"]["sandbox_docker"] == sandbox_engine.PINNED["docker.io"]
    assert record["tools"]["sandbox_buildx"] == sandbox_engine.PINNED["docker-buildx"]
    assert record["tools"]["sandbox_compose"] == sandbox_engine.PINNED["docker-compose"]
    assert record["base_images"]["busybox:latest"].startswith("sha256:")
    assert "FROM docker.io/library/busybox:latest" in record["result"]["log"], "BuildKit's plain progress"

    code, output = replay(ben)
    assert code == 0, output
    assert "prints_ok 0/3 0/3" in output and "small 1/1 1/1" in output
    assert "Reproduced: 1/4, check by check." in output
    assert "Warning" not in output

    record["tools"]["engine"] = "1.0.0"
    record["base_images"]["busybox:latest"] = "sha256:0ld"
    record["result"]["checks"][0]["passed"] = True  # as if prints_ok had passed then
    ben.write_text(json.dumps(record))
    code, output = replay(ben)
    assert code == 1, output
    assert "Warning: The tool engine was 1.0.0, now" in output
    assert "Warning: The base image busybox:latest was sha256:0ld, now sha256:" in output
    assert "prints_ok 3/3 0/3 differs" in output
    assert "Differs: 4/4 then, 1/4 now." in output

    (folder / "Dockerfile").write_text(RIGHT)
    code, output = replay(ben)
    assert code == 2, output
    assert "The submission changed: the files in" in output
    assert "grader batch --regrade ben" in output
    assert "prints_ok" not in output, "nothing is graded"


def test_replay_refuses_what_is_not_a_stored_result(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{}")
    code, output = replay(tmp_path / "x.json")
    assert code == 2
    assert "is not a result stored by `grader batch`" in output


# -- the engine stops answering mid-batch -------------------------------------------


class EngineProxy:
    """A unix socket in front of the host engine's that a test can cut, as a restarting engine is:
    open connections are closed and the socket is gone (new ones are refused) until restored."""

    def __init__(self, path: Path, engine: Path = Path("/var/run/docker.sock")) -> None:
        self.path, self.engine = path, engine
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.creates = 0  # containers created through it
        self.lock = threading.Lock()

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        assert self.listener is not None
        self.listener.close()
        self.path.unlink()
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(str(self.engine))
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.creates += b"/containers/create" in data
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.mark.docker
@pytest.mark.slow
def test_a_batch_waits_for_an_engine_that_stops_answering_and_regrades_what_was_in_flight(
    tmp_path: Path,
    host_engine: docker.DockerClient,
    leaves_nothing: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    catserver_script: Callable[[str], str],
) -> None:
    root = _class(tmp_path, {"ana": RIGHT, "ben": WRONG, "chloe": RIGHT, "david": BROKEN})
    (root / "submitted" / "emma" / "tiny.catserver").mkdir(parents=True)
    (root / "submitted" / "emma" / "tiny.catserver" / "setup.sh").write_text(catserver_script("meow"))
    out = tmp_path / "out"
    orphans_before = set(leftovers.find(host_engine))
    proxy = EngineProxy(tmp_path / "engine.sock")
    proxy.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{proxy.path}")

    def restart() -> None:
        """Cut the engine while the first two sandboxes are being graded, for 6 s."""
        deadline = time.monotonic() + 60
        while proxy.creates < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        proxy.cut()
        time.sleep(6)
        proxy.start()

    cutter = threading.Thread(target=restart, daemon=True)
    cutter.start()
    code = batch.main(submissions=root, out=out, jobs=2, engine_wait_s=60)
    cutter.join()
    output = " ".join(capsys.readouterr().out.split())

    assert code == 0, output
    assert "The Docker engine stopped answering: waiting up to 60 s for it." in output
    assert "The Docker engine answers: grading again the" in output
    assert {key: (s.result.status, s.result.score) for key, s in _results(out).items()} == {
        ("ana", "tiny.echo"): ("graded", 4),
        ("ben", "tiny.echo"): ("graded", 1),
        ("chloe", "tiny.echo"): ("graded", 4),
        ("david", "tiny.echo"): ("graded", 0),
        ("emma", "tiny.catserver"): ("graded", 4),
    }, [(key, s.result.reason) for key, s in _results(out).items()]
    assert "5 graded, 0 unchanged and kept, 0 failed" in output
    assert set(leftovers.find(host_engine)) - orphans_before == set(), "the interrupted runs left nothing"


# -- nothing a submission writes in its sandbox changes its score ---------------------

FAKE_RESULT = '{"exercise": "tiny.echo", "score": 4, "max_score": 4, "status": "graded", "checks": []}'
FORGER = f"""FROM busybox
RUN echo '{FAKE_RESULT}' > /result.json && mkdir -p /submission /grader /out/results \\
 && cp /result.json /submission/ && cp /result.json /grader/ && cp /result.json /out/results/ \\
 && echo '{FAKE_RESULT}'
CMD ["cat", "/result.json"]
"""
FORGING_SCRIPT = f"""echo '{FAKE_RESULT}' | tee /submission/result.json ./result.json score.json
mkdir -p results/mallory && cp result.json results/mallory/tiny.catserver.json
echo '{{"score": 4, "max_score": 4}}' > /tmp/score
echo '{FAKE_RESULT}' >&2
docker run --rm -v /submission:/s busybox sh -c 'echo 4 > /s/score' || true
"""


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.hostile
def test_what_a_submission_writes_in_its_sandbox_does_not_change_its_score(
    tmp_path: Path, leaves_nothing: None
) -> None:
    root = _class(tmp_path, {"mallory": FORGER})
    setup = root / "submitted" / "mallory" / "tiny.catserver"
    setup.mkdir()
    (setup / "setup.sh").write_text(FORGING_SCRIPT)
    (setup / "result.json").write_text(FAKE_RESULT)  # handed in, too: a file is no result
    folders = {path: store.files_digest(path) for path in (root / "submitted" / "mallory").iterdir()}
    out = tmp_path / "out"

    assert batch.main(submissions=root, out=out, jobs=2, quiet=True) == 0

    results = _results(out)
    assert sorted(results) == [("mallory", "tiny.catserver"), ("mallory", "tiny.echo")]
    echo, setup_result = (
        results[("mallory", "tiny.echo")].result,
        results[("mallory", "tiny.catserver")].result,
    )
    assert (echo.status, echo.score, echo.max_score) == ("graded", 1, 4), echo.reason
    assert not next(c for c in echo.checks if c.name == "prints_ok").passed
    assert (setup_result.score, setup_result.max_score) == (0, 4), setup_result.reason
    assert FAKE_RESULT in setup_result.log, "the script ran and printed its fake result"
    assert {path: store.files_digest(path) for path in folders} == folders, "the host's files are untouched"
    assert sorted(p.name for p in (out / "results").iterdir()) == ["mallory"]
    assert _csv(out)["mallory"]["total"] == "1"
