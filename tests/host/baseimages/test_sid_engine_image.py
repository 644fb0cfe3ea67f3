"""Engine 28 on Debian sid: the same recipe as the grading engine's with another base and pins, chosen by
GRADER_SANDBOX_ENGINE, made only on demand; skipped, saying why, once sid no longer serves its pins."""

from __future__ import annotations

import docker
import pytest
from docker.models.images import Image

from grader.host import baseimages
from grader.host.baseimages import sandbox_engine, sid
from grader.host.baseimages.recipe import BuildFailed
from grader.host.baseimages.sandbox_engine import SID, TRIXIE
from tests.host.baseimages.test_sandbox_engine_image import reports_its_pinned_versions


def test_the_two_engines_differ_only_in_base_and_pins() -> None:
    def neutral(engine: sandbox_engine.Engine) -> str:
        text = engine.dockerfile.replace(engine.base, "BASE").replace(engine.pins_name, "PINS")
        for package, version in engine.pinned.items():
            text = text.replace(f"{package}={version}", f"{package}=V")
        return text

    assert neutral(SID) == neutral(TRIXIE)
    assert "Update SID_PINNED in grader/host/baseimages/sandbox_engine.py" in SID.dockerfile
    assert "docker.io=28.5.2+dfsg4-5 " in SID.dockerfile and f"FROM {sid.NAME}\n" in SID.dockerfile
    assert SID.tag.startswith("docker-course/sandbox-engine-28:") and TRIXIE.tag == sandbox_engine.TAG
    assert SID.versions()["docker"].startswith("28.5.") and TRIXIE.versions() == sandbox_engine.versions()


def test_the_variable_picks_the_engine_image() -> None:
    assert sandbox_engine.chosen({}) == sandbox_engine.TAG
    assert sandbox_engine.chosen({"GRADER_SANDBOX_ENGINE": " 28 "}) == SID.tag
    assert sandbox_engine.chosen({"GRADER_SANDBOX_ENGINE": "mine/engine:1"}) == "mine/engine:1"
    with pytest.raises(sandbox_engine.UnknownEngine, match="'27' names no sandbox engine: use one of 26, 28"):
        sandbox_engine.chosen({"GRADER_SANDBOX_ENGINE": "27"})
    assert sandbox_engine.versions_of(SID.tag) == SID.versions()
    assert sandbox_engine.versions_of("mine/sandbox-engine-26:abc") == TRIXIE.versions()
    assert sandbox_engine.versions_of("mine/engine:1") == {}


def test_a_missing_engine_image_is_named_with_the_command_that_builds_it() -> None:
    assert sandbox_engine.prepare_command(SID.tag) == "grader images prepare --engine 28"
    assert sandbox_engine.prepare_command(TRIXIE.tag) == "grader images prepare"
    assert sandbox_engine.prepare_command("mine/engine:1") == "grader images prepare"


def test_engine_28_is_made_on_demand_only() -> None:
    default = {recipe.name for recipe in baseimages.recipes()}
    assert SID.tag not in default and sid.NAME not in default and TRIXIE.tag in default
    assert baseimages.find(SID.tag).needs == (sid.NAME,)
    assert baseimages.engine_image("28") == SID.tag
    with pytest.raises(baseimages.UnknownImage, match="No sandbox engine '27'"):
        baseimages.engine_image("27")


def test_sids_apt_skips_the_release_date_check_only_where_the_hosts_does() -> None:
    assert sid.apt_conf("false") == 'Acquire::Check-Valid-Until "false";\n'
    assert sid.apt_conf("") == sid.apt_conf("true") == ""


@pytest.fixture(scope="module")
def engine_28(host_engine: docker.DockerClient) -> Image:
    """The sid engine's image, built here if missing; the test skips when sid moved past a pin."""
    try:
        baseimages.prepare(host_engine, [SID.tag], pull=False)
    except baseimages.PrepareFailed as error:
        if isinstance(error.__cause__, BuildFailed) and "no longer serves" in str(error):
            pytest.skip(f"Debian sid moved on: {error}")
        raise
    return host_engine.images.get(SID.tag)


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_the_sid_engine_reports_its_pinned_versions(
    host_engine: docker.DockerClient, engine_28: Image
) -> None:
    output = reports_its_pinned_versions(host_engine, SID)
    assert output.count("Docker version 28.5.") == 2, output
