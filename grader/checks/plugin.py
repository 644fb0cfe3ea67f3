"""The pytest plugin that runs an exercise's checks.py against one built image.

It gives checks their fixtures (`build`, `image`, `images`, `run`, `host`,
`image_fs`, `saved`) and turns each test's outcome into a CheckResult a student can
read. Checks never see which engine they talk to.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import docker
import docker.errors
import pytest
import testinfra.host

from grader.checks.backend import DEFAULT_HELPER_IMAGE, ShellError, host_for
from grader.checks.environment import Environment
from grader.checks.images_info import ImageInfo, inspect
from grader.checks.saved_image import SavedImage
from grader.errors import Interrupted, SubmissionError
from grader.model.exercise import Exercise
from grader.model.result import CheckResult
from grader.rubric import MARK, item_of
from grader.sandbox import containers
from grader.sandbox.build import BuildResult
from grader.sandbox.paths import PROBE_DIR
from grader.text import shorten


class CheckTimeout(Interrupted):
    """A check (or what it set up) ran past its exercise's check_limit_s."""


class Unavailable(SubmissionError):
    """What a check needs is not there (no image, a stopped container); the text says why."""


@dataclass
class Target:
    """What the checks of one grading run look at."""

    exercise: Exercise
    build: BuildResult | None = None
    client: docker.DockerClient | None = None
    env: Environment | None = None
    problem: str = ""  # why there is nothing to check, when there is not
    base_images: dict[str, str] = field(default_factory=dict)
    """Each base image's ID in the sandbox, by name (Sandbox.load_images); empty where the engine
    is not one the grader filled (a student's own, live): there names are all there is."""


class GradingPlugin:
    """Fixtures for checks, and the rubric results collected from their outcomes."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.results: dict[str, CheckResult] = {}
        self.seconds: dict[str, float] = {}  # each check's setup and call so far
        self.items: list[pytest.Item] = []
        self.collect_errors: list[str] = []
        self.interrupted = False

    # -- fixtures -----------------------------------------------------------

    @pytest.fixture(scope="session")
    def build(self) -> BuildResult:
        if self.target.build is None:
            raise Unavailable("This exercise builds no image.")
        return self.target.build

    @pytest.fixture(scope="session")
    def env(self) -> Environment:
        if self.target.env is None:
            raise Unavailable(self.target.problem or "There is no engine to check.")
        return self.target.env

    @pytest.fixture(scope="session")
    def image(self) -> ImageInfo:
        return self._inspect(self._built_image())

    @pytest.fixture(scope="session")
    def images(self) -> Callable[[str], ImageInfo]:
        return self._inspect

    @pytest.fixture(scope="session")
    def run(self) -> Callable[..., containers.RunResult]:
        def run(*args: str, image: str | None = None, **options: Any) -> containers.RunResult:
            name = image or self._built_image()
            live = self.target.env is not None and self.target.env.live
            return containers.run_once(
                self._client(),
                self.target.exercise,
                self._trusted(name),
                args,
                probe=not live,
                shown=name,
                **options,
            )

        return run

    @pytest.fixture(scope="session")
    def saved(self) -> SavedImage:
        return SavedImage(self._client(), self._built_image())

    @pytest.fixture(scope="session")
    def host(self) -> Iterator[testinfra.host.Host]:
        yield from self._host(entrypoint=None)

    @pytest.fixture(scope="session")
    def image_fs(self) -> Iterator[testinfra.host.Host]:
        yield from self._host(entrypoint=[f"{PROBE_DIR}/busybox", "sleep", "2147483647"])

    # -- hooks --------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", f"{MARK}: a rubric item with its points and feedback")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = [item for item in items if item_of(item) is not None]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        with deadline(self.target.exercise.limits.check_limit_s):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        with deadline(self.target.exercise.limits.check_limit_s):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if item_of(item) is None or item.name in self.results:
            return
        self.seconds[item.name] = self.seconds.get(item.name, 0.0) + report.duration
        if report.failed or (report.when == "call" and report.passed):
            found = "" if report.passed else found_in(call.excinfo.value if call.excinfo else None)
            took = self.seconds[item.name]
            self.results[item.name] = _result(item, passed=report.passed, found=found, duration_s=took)

    def outcomes(self) -> list[CheckResult]:
        """One result per rubric item, in the order of checks.py."""
        return [
            self.results.get(item.name)
            or _result(item, passed=False, found="The check did not run.", not_run=True)
            for item in self.items
        ]

    # -- helpers ------------------------------------------------------------

    def _client(self) -> docker.DockerClient:
        if self.target.client is None:
            error = self.target.build.error if self.target.build else ""
            raise Unavailable(error or "The sandbox engine is not available.")
        return self.target.client

    def _built_image(self) -> str:
        built = self.target.build
        if built is None:
            raise Unavailable("This exercise builds no image.")
        if not built.ok:
            raise Unavailable(built.error)
        return built.image

    def _inspect(self, name: str) -> ImageInfo:
        return inspect(self._client(), self._trusted(name), shown=name)

    def _trusted(self, name: str) -> str:
        """A base image's recorded ID for its `name` (a tag the student could move), else `name`."""
        return self.target.base_images.get(name, name)

    def _host(self, *, entrypoint: list[str] | None) -> Iterator[testinfra.host.Host]:
        client = self._client()
        try:
            container = containers.start(
                client, self.target.exercise, self._built_image(), entrypoint=entrypoint
            )
        except containers.ContainerStopped as stopped:
            raise Unavailable(str(stopped)) from None
        host = host_for(
            client.api,
            container.id,
            timeout_s=self.target.exercise.limits.check_timeout_s,
            helper_image=self._trusted(DEFAULT_HELPER_IMAGE),
        )
        try:
            yield host
        finally:
            host.close()
            with contextlib.suppress(docker.errors.DockerException):  # a lasting engine: the course's
                container.remove(force=True)


def found_in(error: BaseException | None) -> str:
    """What a student reads of why a check failed: the assertion's sentence, or what stopped it."""
    if error is None:
        return ""
    if isinstance(error, AssertionError):
        message = str(error).split("\nassert ")[0].strip()
        return "" if message.startswith("assert ") else shorten(message, 1500)
    if isinstance(error, (Unavailable, CheckTimeout)):
        return str(error)
    if isinstance(error, ShellError) or (
        isinstance(error, docker.errors.APIError) and "is not running" in str(error)
    ):
        return "The container stopped while it was being checked."
    return shorten(f"The check could not finish: {error}", 1500)


def run_checks(target: Target) -> list[CheckResult]:
    """Run the exercise's checks against `target` and return one result per rubric item."""
    plugin = GradingPlugin(target)
    checks: Path = target.exercise.checks
    sys.modules.pop(checks.stem, None)  # every exercise's checks module is named "checks"
    code = pytest.main(
        [
            str(checks),
            "-c",
            os.devnull,
            "--rootdir",
            str(checks.parent),
            "-o",
            "python_files=checks.py",
            "--import-mode=importlib",
            "--assert=plain",  # a check's message is what it found; rewriting adds Python (and, on
            # older pytest without its terminal plugin, fails on the missing `verbose` option)
            "-p",
            "no:cacheprovider",
            "-p",
            "no:pytest11.testinfra",
            "-p",
            "no:terminal",
            "-p",
            "no:timeout",
        ],
        plugins=[plugin],
    )
    sys.modules.pop(checks.stem, None)
    if plugin.interrupted:
        raise KeyboardInterrupt
    if plugin.collect_errors or code in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.INTERNAL_ERROR,
    ):
        detail = "\n".join(plugin.collect_errors)
        raise RuntimeError(f"The checks of {target.exercise.id} could not be loaded.\n{detail}")
    return plugin.outcomes()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Stop what runs inside after `seconds` (by SIGALRM, so only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CheckTimeout(f"The check did not finish within {seconds:g} s and was stopped.")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _result(
    item: pytest.Item, *, passed: bool, found: str, not_run: bool = False, duration_s: float = 0.0
) -> CheckResult:
    rubric = item_of(item)
    assert rubric is not None
    return CheckResult(
        name=item.name.removeprefix("test_"),
        max_points=rubric.points,
        passed=passed,
        expected=rubric.expected,
        found=found,
        hint=rubric.hint,
        reproduce=rubric.reproduce,
        hidden=rubric.hidden,
        not_run=not_run,
        duration_s=round(duration_s, 3),
    )
