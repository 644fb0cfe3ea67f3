"""Fixtures shared by the grader's tests: the host engine and a check that runs leave nothing."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import psutil
import pytest

from grader.host import baseimages, engine, labels
from grader.host.baseimages import notebook_kernel
from grader.host.leftovers import Leftover
from grader.model.exercise import ROOT, Exercise, load
from grader.sandbox import stores
from grader.sandbox.sandbox import Sandbox, SandboxLimits
from tests import sandboxes, sharing

FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")


REQUIRE_DOCKER = "GRADER_REQUIRE_DOCKER"
"""Set to 1 (as .ci/run does) to make a test that needs an engine fail, rather than skip, without one."""


@functools.cache
def _engine_answers() -> bool:
    """Whether a Docker engine answers here now; tests never start or install one."""
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except (docker.errors.DockerException, OSError):
        return False
    return True


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `docker` skips, with its reason, where no engine answers (fails under CI's rule)."""
    if item.get_closest_marker("docker") is None or _engine_answers():
        return
    reason = "no Docker engine answers here (`make test` starts one; `make check` runs without)"
    if os.environ.get(REQUIRE_DOCKER) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_DOCKER}=1 requires one", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a parallel run, the tests go in the order that lets the workers overlap the most."""
    if sharing.parallel():
        sharing.arrange(items)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadgroup` sends each group of tests (`tests.sharing.group_of`) to one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return sharing.SharedScheduling(config, log)  # type: ignore[arg-type]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """In a parallel run, a test waits for its turn on the engine (`tests.sharing`) before set-up."""
    with sharing.turn(item):
        yield


BEFORE = pytest.StashKey[dict[str, set[str]]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note what the engine holds before the tests (`leftovers`); before the workers of a parallel
    run start, make every base image there, so that no test builds one while others run."""
    config = session.config
    if sharing.parallel() or "not docker" in (config.option.markexpr or "") or not _engine_answers():
        return
    client = engine.connect(start=False, install=False)
    if getattr(config.option, "numprocesses", None):
        baseimages.prepare(client, pull=False)
    config.stash[BEFORE] = everything(client)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The engine ends the run as it began: what no test's own check can see (an unlabelled object,
    an untagged image) is caught here. The lock file of a parallel run goes with it."""
    if sharing.parallel():
        return
    for name in ("", sharing.GATE, sharing.RUN_FLOW):
        sharing.lock_file(os.getpid(), name).unlink(missing_ok=True)
    before = session.config.stash.get(BEFORE, None)
    if before is None or session.exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    left = leftovers(engine.connect(start=False, install=False), before)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the tests left on the host engine: {left}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def leftovers(client: docker.DockerClient, before: dict[str, set[str]]) -> dict[str, set[str]]:
    """What is on the engine now that was not `before`, but for a live process's labelled objects
    (a colleague's run) and the base images a test rebuilt."""
    after, alive = everything(client), _labelled_by_live_processes(client)
    rebuilt = {i.id for i in client.images.list(all=True) if _is_base_image(i.labels or {})}
    left = {kind: after[kind] - before[kind] - alive - rebuilt for kind in after}
    return {kind: names for kind, names in left.items() if names}


def _is_base_image(tags: dict[str, str]) -> bool:
    """A base image carries its recipe; an image a test built on one inherits the recipe too, but
    carries the test process's label as well."""
    return labels.RECIPE in tags and labels.OWNER_PID not in tags


def _labelled_by_live_processes(client: docker.DockerClient) -> set[str]:
    return {
        name
        for objects in _objects(client).values()
        for name, tags in objects.items()
        if tags.get(labels.OWNER_PID, "").isdigit() and Path(f"/proc/{tags[labels.OWNER_PID]}").exists()
    }


@pytest.fixture(scope="session")
def host_engine() -> docker.DockerClient:
    return engine.connect(start=False, install=False)


@pytest.fixture(scope="session")
def kernel_image(host_engine: docker.DockerClient) -> str:
    """The notebook kernel image of the grader package as it is now (its tag hashes the package),
    built when it is missing."""
    try:
        host_engine.images.get(notebook_kernel.image_tag())
    except docker.errors.ImageNotFound:
        notebook_kernel.build(host_engine)
    return notebook_kernel.image_tag()


@pytest.fixture(scope="module", params=stores.STORES)
def store_sandbox(request: pytest.FixtureRequest, host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    """A sandbox of each image store in turn, shared by a module's tests, with the images its
    SANDBOX_IMAGES names loaded (busybox unless it names others)."""
    images = getattr(request.module, "SANDBOX_IMAGES", (sandboxes.BUSYBOX,))
    limits = SandboxLimits(memory="1g", disk="640m", pids=256)
    sandbox = sandboxes.started(host_engine, limits, image_store=request.param, images=images)
    yield sandbox
    sandbox.close()


def _objects(client: docker.DockerClient) -> dict[str, dict[str, dict[str, str]]]:
    """The engine's containers, volumes and networks, each with its labels."""
    return {
        "containers": {
            c.id: c.attrs.get("Labels") or {} for c in client.containers.list(all=True, sparse=True)
        },
        "volumes": {v.name: v.attrs.get("Labels") or {} for v in client.volumes.list()},
        "networks": {n.id: n.attrs.get("Labels") or {} for n in client.networks.list()},
    }


def everything(client: docker.DockerClient) -> dict[str, set[str]]:
    """Every container, volume, network and image on the engine, whoever made it."""
    found = {kind: set(objects) for kind, objects in _objects(client).items()}
    return {**found, "images": set(client.api.images(all=True, quiet=True))}


def snapshot(client: docker.DockerClient) -> dict[str, set[str]]:
    """What this test process has on the engine (and its socket folders) right now. Read from the
    engine's lists alone: an object another process removes meanwhile is not looked up (and not
    found). Run serially, unlabelled objects and images count too; in a parallel run they may be a
    notebook's on another worker, so only this process's labelled objects count (`tests.sharing`)."""
    shared = sharing.parallel()
    counted = _labelled_mine if shared else ours
    found = {
        kind: {name for name, tags in objects.items() if counted(tags)}
        for kind, objects in _objects(client).items()
    }
    found["images"] = set() if shared else set(client.api.images(all=True, quiet=True))
    found["socket folders"] = {p.name for p in Path(tempfile.gettempdir()).glob(f"grader-{os.getpid()}-*")}
    return found


def owner_pid(host: docker.DockerClient, item: Leftover) -> str:
    """The process that labelled a leftover as its own ("" when it is gone, or never labelled)."""
    with contextlib.suppress(docker.errors.NotFound):
        if item.kind == "container":
            return str(host.containers.get(item.name).labels.get(labels.OWNER_PID, ""))
        tags = (host.volumes if item.kind == "volume" else host.networks).get(item.name).attrs.get("Labels")
        return str((tags or {}).get(labels.OWNER_PID, ""))
    return ""


def children(pid: int) -> set[str]:
    """The processes `pid` started, and theirs, that run now (a batch's workers)."""
    with contextlib.suppress(psutil.Error):
        return {str(child.pid) for child in psutil.Process(pid).children(recursive=True)}
    return set()


def dead_pid() -> int:
    """The pid of a process that has finished (and been reaped)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def ours(tags: dict[str, str]) -> bool:
    """Not made by another grading process (a colleague's run on the same engine)."""
    return tags.get(labels.OWNER_PID, str(os.getpid())) == str(os.getpid())


def _labelled_mine(tags: dict[str, str]) -> bool:
    """Made by this process, and labelled so."""
    return tags.get(labels.OWNER_PID) == str(os.getpid())


@contextlib.contextmanager
def left_nothing(client: docker.DockerClient) -> Iterator[None]:
    """Fail if anything done in the block is left on the engine afterwards (`snapshot`)."""
    before = snapshot(client)
    yield
    after = snapshot(client)
    left = {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}
    assert left == {}, f"left behind on the host engine: {left}"


@pytest.fixture
def leaves_nothing(host_engine: docker.DockerClient) -> Iterator[None]:
    """Fail the test if anything it did is left on the host engine afterwards."""
    with left_nothing(host_engine):
        yield


@pytest.fixture
def tiny() -> Exercise:
    """A small exercise (prints `ok`) for testing the grader itself."""
    return load("tiny.echo", FIXTURES / "exercises")


@pytest.fixture
def catserver() -> Exercise:
    """A small setup exercise: catserver on network learning serves its page on host port 45678."""
    return load("tiny.catserver", FIXTURES / "exercises")


@pytest.fixture
def catserver_script() -> Callable[[str], str]:
    """Make a setup.sh that solves tiny.catserver, serving `token`."""
    return _catserver_script


def _catserver_script(token: str) -> str:
    return (
        "docker network create learning\n"
        "docker run -d --name catserver --network learning -p 45678:8080 busybox "
        f"sh -c 'mkdir /www && echo {token} > /www/index.html && exec httpd -f -p 8080 -h /www'\n"
        f"echo served {token}\n"
    )


@pytest.fixture
def script(tmp_path: Path) -> Callable[..., Path]:
    """Make a setup submission folder holding a setup.sh and other files."""

    def make(text: str, **files: str) -> Path:
        folder = tmp_path / "script-submission"
        folder.mkdir(exist_ok=True)
        (folder / "setup.sh").write_text(text)
        for name, content in files.items():
            (folder / name).write_text(content)
        return folder

    return make


@pytest.fixture
def submission(tmp_path: Path) -> Callable[..., Path]:
    """Make a submission folder holding a Dockerfile and other files."""

    def make(dockerfile: str, **files: str) -> Path:
        folder = tmp_path / "submission"
        folder.mkdir(exist_ok=True)
        (folder / "Dockerfile").write_text(dockerfile)
        for name, text in files.items():
            (folder / name).write_text(text)
        return folder

    return make


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A copy of the nbgrader course folder (its configuration and source notebooks)."""
    return copy_course(tmp_path)


def copy_course(into: Path) -> Path:
    """Copy the nbgrader course folder (its configuration and source notebooks) into `into`."""
    course = into / "course"
    generated = ("release", "submitted", "autograded", "feedback", "gradebook.db")
    shutil.copytree(ROOT / "notebooks", course, ignore=shutil.ignore_patterns(*generated))
    return course


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (never downloads a browser)."""
    if not CHROMIUM.is_file():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


def restore_ctrl_c() -> None:
    """A `preexec_fn`: the child gets Ctrl-C as a terminal gives it, whatever this test run inherited
    (a test run started as a background job of a script has SIGINT ignored, and so would its children)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
