"""docker-course/trixie:slim: Debian 13 (trixie), debootstrapped from the host's mirror as debian.py
makes bookworm, for the sandbox engine (docker.io 26.1 is trixie's).

Its apt also reads trixie-security: the sandbox's runc and engine take their security fixes from there
before a point release carries them into trixie itself.
"""

from __future__ import annotations

import docker

from grader.host import system
from grader.host.baseimages import debian
from grader.host.baseimages.recipe import Recipe

NAME = "docker-course/trixie:slim"  # not debian:trixie-slim: built here, never pulled
SUITE = "trixie"


def security_mirror(sources: list[system.AptSource] | None = None) -> str:
    """The host's Debian security archive (a source with a `*-security` suite), else the usual one."""
    found = system.apt_sources() if sources is None else sources
    for source in found:
        if any(suite.endswith("-security") for suite in source.suites) and "main" in source.components:
            return source.uri.rstrip("/")
    return "http://deb.debian.org/debian-security"


def build(client: docker.DockerClient, tag: str = NAME) -> None:
    """Bootstrap trixie from the host's mirror and import it as `tag`."""
    debian.build(client, tag, suite=SUITE, security=security_mirror())


RECIPE = Recipe(NAME, debian.PACKAGES, build, pullable=False)
