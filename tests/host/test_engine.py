"""engine.connect: which way it takes to an engine, and the real engine it returns."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from grader.host import engine, system


class FakeDockerd:
    """Stands in for the dockerd process engine.start_dockerd() returns."""

    def __init__(self, exit_code: int | None = None) -> None:
        self.returncode = exit_code

    def poll(self) -> int | None:
        return self.returncode


class World:
    """The host as engine.connect sees it, every part faked and every action recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.answers_after = -1  # pings that fail before the engine answers; -1: never
        self.ping_error: Exception = docker.errors.DockerException("Connection refused")
        self.pings = 0
        self.root = True
        self.debian = True
        self.installed = True
        self.dockerd = FakeDockerd()
        self.actions: list[str] = []
        self.client = object()
        monkeypatch.delenv("DOCKER_HOST", raising=False)
        monkeypatch.setattr(engine, "DEFAULT_SOCKET", tmp_path / "docker.sock")
        monkeypatch.setattr(engine, "SYSTEM_LOG", tmp_path / "dockerd.log")
        monkeypatch.setattr(engine, "_try_connect", self.try_connect)
        monkeypatch.setattr(engine, "dockerd_installed", lambda: self.installed)
        monkeypatch.setattr(engine, "start_dockerd", self.start)
        monkeypatch.setattr(engine.time, "sleep", lambda seconds: None)
        monkeypatch.setattr(system, "is_root", lambda: self.root)
        monkeypatch.setattr(system, "is_debian_like", lambda release=None: self.debian)
        monkeypatch.setattr(system, "ensure_packages", self.install)

    def try_connect(self) -> tuple[object | None, Exception | None]:
        self.pings += 1
        if 0 <= self.answers_after < self.pings:
            return self.client, None
        return None, self.ping_error

    def start(self) -> FakeDockerd:
        self.actions.append("start dockerd")
        if self.answers_after >= 0:
            self.answers_after = self.pings + 2
        return self.dockerd

    def install(self, *names: str) -> None:
        self.actions.append(f"install {' '.join(names)}")
        self.installed = True


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> World:
    return World(monkeypatch, tmp_path)


def test_a_running_engine_is_used_as_it_is(world: World) -> None:
    world.answers_after = 0
    assert engine.connect() is world.client
    assert world.actions == []


def test_a_stopped_engine_is_started_and_polled_until_it_answers(world: World) -> None:
    world.answers_after = 1_000  # answers only once started
    assert engine.connect() is world.client
    assert world.actions == ["start dockerd"]
    assert world.pings == 4


def test_a_missing_engine_is_installed_then_started(world: World) -> None:
    world.installed, world.answers_after = False, 1_000
    assert engine.connect() is world.client
    assert world.actions == ["install docker.io", "start dockerd"]


def test_permission_denied_gives_the_group_advice_and_starts_nothing(world: World) -> None:
    world.ping_error = docker.errors.DockerException(
        "Error while fetching server API version: ('Connection aborted.', "
        "PermissionError(13, 'Permission denied'))"
    )
    with pytest.raises(engine.EngineUnavailable, match="usermod -aG docker"):
        engine.connect()
    assert world.actions == []


def test_without_start_it_says_how_to_start_the_engine(world: World) -> None:
    with pytest.raises(engine.EngineUnavailable, match="systemctl start docker"):
        engine.connect(start=False, install=False)
    assert world.actions == []


def test_a_user_is_told_to_start_it_with_sudo(world: World) -> None:
    world.root = False
    with pytest.raises(engine.EngineUnavailable, match="sudo systemctl start docker"):
        engine.connect()
    assert world.actions == []


@pytest.mark.parametrize(("install", "debian"), [(False, True), (True, False)])
def test_when_it_may_not_install_it_says_how_to(world: World, install: bool, debian: bool) -> None:
    world.installed, world.debian = False, debian
    with pytest.raises(engine.EngineUnavailable, match=r"apt-get install docker\.io"):
        engine.connect(install=install)
    assert world.actions == []


def test_another_docker_host_is_not_replaced_by_a_local_engine(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.9:2375")
    with pytest.raises(engine.EngineUnavailable, match="unset DOCKER_HOST"):
        engine.connect()
    assert world.actions == []


def test_a_dockerd_that_dies_is_reported_with_its_log(world: World) -> None:
    engine.SYSTEM_LOG.write_text('level=fatal msg="failed to start daemon: no overlay"\n')
    world.dockerd = FakeDockerd(exit_code=1)
    with pytest.raises(engine.EngineUnavailable, match="no overlay"):
        engine.connect()


def test_a_dockerd_that_never_answers_times_out(world: World) -> None:
    with pytest.raises(engine.EngineUnavailable, match="did not answer within 0 s"):
        engine.connect(timeout_s=0)


@pytest.mark.docker
def test_connect_returns_a_working_client() -> None:
    client = engine.connect()
    assert client.ping()
    facts = engine.engine_facts(client)
    assert facts["storage_driver"]
    assert facts["cgroup_version"] in {"1", "2"}
    assert Path(facts["root_dir"]).is_absolute()
