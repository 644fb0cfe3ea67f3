"""registry:2: Debian's docker-registry configured like the official image (no auth)."""

from __future__ import annotations

import docker

from grader.host.baseimages import debian
from grader.host.baseimages.recipe import DATA, Recipe, build_dockerfile

NAME = "registry:2"
PACKAGES: tuple[str, ...] = ()
CONFIG = DATA / "registry" / "config.yml"
DOCKERFILE = (
    debian.with_packages(["docker-registry"])
    + """\
COPY config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/usr/bin/docker-registry", "serve"]
CMD ["/etc/docker/registry/config.yml"]
"""
)
DESCRIPTION = f"docker-registry from the Debian archive on {debian.NAME}, without auth"


def build(client: docker.DockerClient, tag: str = NAME) -> None:
    """Build registry:2 on the host's debian:bookworm-slim."""
    build_dockerfile(client, tag, DOCKERFILE, {"config.yml": (CONFIG, 0o644)}, DESCRIPTION)


RECIPE = Recipe(NAME, PACKAGES, build, needs=(debian.NAME,))
