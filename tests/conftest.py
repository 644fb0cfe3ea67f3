"""Fixtures shared by the grader's tests: the host engine and a check that runs leave nothing."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from grader.host import baseimages, engine, labels
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


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before the workers of a parallel run start, make every base image there, so no test builds one
    (with the engine shared, a build would show in another test's check that nothing is left)."""
    config = session.config
    if sharing.parallel() or not getattr(config.option, "numprocesses", None):
        return
    if "not docker" in (config.option.markexpr or "") or not _engine_answers():
        return
    baseimages.prepare(engine.connect(start=False, install=False), pull=False)


def pytest_sessionfinish() -> None:
    """The lock file of a parallel run goes with it."""
    if not sharing.parallel():
        sharing.lock_file(os.getpid()).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def host_engine() -> docker.DockerClient:
    return engine.connect(start=False, install=False)


@pytest.fixture(scope="module", params=stores.STORES)
def store_sandbox(request: pytest.FixtureRequest, host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    """A sandbox of each image store in turn, shared by a module's tests, with the images its
    SANDBOX_IMAGES names loaded (busybox unless it names others)."""
    images = getattr(request.module, "SANDBOX_IMAGES", (sandboxes.BUSYBOX,))
    limits = SandboxLimits(memory="1g", disk="640m", pids=256)
    sandbox = sandboxes.started(host_engine, limits, image_store=request.param, images=images)
    yield sandbox
    sandbox.close()


def snapshot(client: docker.DockerClient) -> dict[str, set[str]]:
    """Everything on the engine (and the grader's socket folders) right now. Read from the engine's
    lists alone: an object another process removes meanwhile is not looked up (and not found)."""
    return {
        "containers": {
            c.id for c in client.containers.list(all=True, sparse=True) if ours(c.attrs.get("Labels") or {})
        },
        "volumes": {v.name for v in client.volumes.list() if ours(v.attrs.get("Labels") or {})},
        "networks": {n.id for n in client.networks.list() if ours(n.attrs.get("Labels") or {})},
        "images": set(client.api.images(all=True, quiet=True)),
        "socket folders": {p.name for p in Path(tempfile.gettempdir()).glob(f"grader-{os.getpid()}-*")},
    }


def ours(tags: dict[str, str]) -> bool:
    """Not made by another grading process (a colleague's run on the same engine)."""
    return tags.get(labels.OWNER_PID, str(os.getpid())) == str(os.getpid())


@pytest.fixture
def leaves_nothing(host_engine: docker.DockerClient) -> Iterator[None]:
    """Fail the test if anything it did is left on the host engine afterwards."""
    before = snapshot(host_engine)
    yield
    after = snapshot(host_engine)
    left = {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}
    assert left == {}, f"left behind on the host engine: {left}"


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
    course = tmp_path / "course"
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
