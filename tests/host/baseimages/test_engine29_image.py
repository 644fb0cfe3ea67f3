"""Engine 29, which no Debian suite serves yet: engine 28's image with dockerd, docker-proxy and the docker
CLI 29.7.2 built from their sources (benchmarks/engine29/build.sh). GRADER_SANDBOX_ENGINE=29 picks it; a
missing image is named with the commands that make it. The suite never makes it (it needs the sources):
the test of the image skips, saying how, where it is missing."""

from __future__ import annotations

import docker
import pytest

from grader.host.baseimages import image_or_none, sandbox_engine
from grader.host.baseimages.sandbox_engine import FROM_SOURCE, SID
from grader.model.exercise import ROOT
from tests.host.baseimages.test_sandbox_engine_image import reports_its_pinned_versions

BUILD = ROOT / "benchmarks" / "engine29" / "build.sh"


def test_engine_29_is_engine_28s_image_with_its_own_binaries() -> None:
    assert sandbox_engine.chosen({"GRADER_SANDBOX_ENGINE": "29"}) == FROM_SOURCE.tag
    assert FROM_SOURCE.tag.startswith("docker-course/sandbox-engine-29:")
    assert FROM_SOURCE.tag.rsplit(":", 1)[1] == SID.tag.rsplit(":", 1)[1], "28's recipe changed: lay it again"
    assert FROM_SOURCE.versions() == {**SID.versions(), "docker": "29.7.2"}
    assert sandbox_engine.versions_of(FROM_SOURCE.tag) == FROM_SOURCE.versions()


def test_a_missing_engine_29_is_named_with_the_commands_that_make_it() -> None:
    command = sandbox_engine.prepare_command(FROM_SOURCE.tag)
    assert (
        command
        == "grader images prepare --engine 28 && benchmarks/engine29/build.sh MOBY_GIT_DIR CLI_GIT_DIR"
    )
    assert BUILD.stat().st_mode & 0o111, "the script is executable"


def test_the_script_builds_the_version_the_grader_names() -> None:
    script = BUILD.read_text()
    version = FROM_SOURCE.version
    assert f"\nVERSION={version}\n" in script
    assert f"\nMOBY_TAG=docker-v{version}\n" in script and f"\nCLI_TAG=v{version}\n" in script
    assert "tag_of FROM_SOURCE" in script and "tag_of SID" in script


@pytest.mark.docker
@pytest.mark.usefixtures("leaves_nothing")
def test_engine_29_reports_its_versions(host_engine: docker.DockerClient) -> None:
    if image_or_none(host_engine, FROM_SOURCE.tag) is None:
        pytest.skip(f"engine 29 is not made here: {sandbox_engine.prepare_command(FROM_SOURCE.tag)}")
    output = reports_its_pinned_versions(host_engine, FROM_SOURCE)
    assert output.count("Docker version 29.7.2, build ") == 2, output
