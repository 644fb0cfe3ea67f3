"""docker-course/sid:slim: Debian unstable (sid), debootstrapped from the host's mirror as debian.py
makes bookworm, for the second, measured sandbox engine (docker.io 28 is sid's, not trixie's).

sid has no security archive (its fixes land in sid itself). Its Release file expires within a week
(`Valid-Until`), so a mirror that is a snapshot (some CI farms') serves it expired: where the host's own
apt is told not to check that date, the image's apt is told the same, and only then.
"""

from __future__ import annotations

import docker

from grader.host import system
from grader.host.baseimages import debian
from grader.host.baseimages.recipe import Recipe

NAME = "docker-course/sid:slim"  # not debian:sid-slim: built here, never pulled
SUITE = "sid"
VALID_UNTIL = "Acquire::Check-Valid-Until"


def apt_conf(host_value: str | None = None) -> str:
    """The image's apt settings: the host's `Acquire::Check-Valid-Until "false"` if it has it."""
    value = system.apt_setting(VALID_UNTIL) if host_value is None else host_value
    return f'{VALID_UNTIL} "false";\n' if value.lower() in ("false", "no", "0") else ""


def build(client: docker.DockerClient, tag: str = NAME) -> None:
    """Bootstrap sid from the host's mirror and import it as `tag`."""
    debian.build(client, tag, suite=SUITE, apt_conf=apt_conf())


RECIPE = Recipe(NAME, debian.PACKAGES, build, pullable=False)
